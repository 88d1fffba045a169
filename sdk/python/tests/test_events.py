"""Events and webhook endpoints (issue 12) end to end: a real receiver checks each delivery
with verify_webhook. Skipped, saying so, while the server has no /v1/webhook-endpoints."""

import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Tuple
from urllib.request import urlopen

import support
from support import customer_with_credits

from purse import Event, NotFoundError, verify_webhook

DELIVERY_WAIT_SECONDS = 30


def server_has(path: str) -> bool:
    with urlopen(support.URL + "/openapi.json", timeout=10) as res:
        return path in json.load(res).get("paths", {})


class Receiver:
    """An app's webhook route: records each request's raw body and headers, answers 204."""

    def __init__(self) -> None:
        self.requests: List[Tuple[bytes, Dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.requests.append((body, dict(self.headers.items())))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hooks/purse" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class EventTests(unittest.TestCase):
    def setUp(self) -> None:
        if not server_has("/v1/webhook-endpoints"):
            self.skipTest("this server has no /v1/webhook-endpoints yet (issue 12)")
        self.purse = support.client()
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)

    def test_a_grant_is_delivered_signed_listed_and_readable(self) -> None:
        endpoint = self.purse.create_webhook_endpoint(self.receiver.url, events=["credits.granted"], description="python sdk test")
        self.addCleanup(self._delete_quietly, endpoint["id"])
        self.assertTrue(endpoint["secret"].startswith("whsec_"))
        self.assertEqual((endpoint["url"], endpoint["status"], endpoint["events"]), (self.receiver.url, "enabled", ["credits.granted"]))

        customer = customer_with_credits(self.purse, 0)
        grant = self.purse.grant(customer, amount=12, source="bonus", reason="events test")
        event = self._wait_for_event(endpoint["secret"], customer)
        self.assertEqual(event["type"], "credits.granted")
        self.assertTrue(event["id"].startswith("evt_"))
        self.assertEqual(event["data"]["grant"]["id"], grant["id"])

        self.assertIn(event["id"], [e["id"] for e in self.purse.list_events(customer_id=customer)["data"]])
        self.assertEqual(self.purse.get_event(event["id"])["type"], "credits.granted")
        self.assertIn(event["id"], [e["id"] for e in self.purse.iter_events(customer_id=customer, type="credits.granted")])
        # The attempt is recorded after the receiver has answered: wait for it rather than race it.
        deadline = time.monotonic() + 10
        while not self.purse.list_webhook_deliveries(endpoint["id"])["data"] and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(len(self.purse.list_webhook_deliveries(endpoint["id"])["data"]), 1)

    def test_endpoints_are_listed_updated_and_deleted(self) -> None:
        endpoint = self.purse.create_webhook_endpoint(self.receiver.url)
        self.assertIn(endpoint["id"], [e["id"] for e in self.purse.list_webhook_endpoints()])
        self.assertNotIn("secret", self.purse.get_webhook_endpoint(endpoint["id"]))
        disabled = self.purse.update_webhook_endpoint(endpoint["id"], status="disabled")
        self.assertEqual(disabled["status"], "disabled")
        self.purse.delete_webhook_endpoint(endpoint["id"])
        with self.assertRaises(NotFoundError):
            self.purse.get_webhook_endpoint(endpoint["id"])

    def _wait_for_event(self, secret: str, customer_id: str) -> Event:
        deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
        while time.monotonic() < deadline:
            for body, headers in list(self.receiver.requests):
                event = verify_webhook(body, headers, secret)
                if event["customerId"] == customer_id:
                    return event
            time.sleep(0.1)
        self.fail("no delivery for %s in %d s" % (customer_id, DELIVERY_WAIT_SECONDS))

    def _delete_quietly(self, endpoint_id: str) -> None:
        try:
            self.purse.delete_webhook_endpoint(endpoint_id)
        except NotFoundError:
            pass


if __name__ == "__main__":
    unittest.main()

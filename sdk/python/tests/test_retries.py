"""Retries through a faulty proxy in front of the real server: the same key on every attempt, one write."""

import http.client
import socket
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

import support
from support import customer_with_credits, new_tool

from purse import ConnectionFailedError, InsufficientCreditsError, Purse, PurseError

DROP = "drop"  # forward the request, then close the connection without answering
UNAVAILABLE = "503"  # answer 503 without forwarding

Attempt = Tuple[str, str, Optional[str], bytes]


class FaultyProxy:
    """Forwards to the server under test, except that the next requests meet the queued faults."""

    def __init__(self) -> None:
        self.faults: List[str] = []
        self.attempts: List[Attempt] = []
        upstream = urlsplit(support.URL)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                proxy.attempts.append((self.command, self.path, self.headers.get("idempotency-key"), body))
                fault = proxy.faults.pop(0) if proxy.faults else None
                if fault == UNAVAILABLE:
                    self.send_response(503)
                    self.send_header("content-type", "text/plain")
                    self.send_header("content-length", "19")
                    self.end_headers()
                    self.wfile.write(b"Service Unavailable")
                    return
                conn = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                conn.close()
                if fault == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive", "date"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RetryTests(unittest.TestCase):
    def setUp(self) -> None:
        self.direct = support.client()
        self.proxy = FaultyProxy()
        self.addCleanup(self.proxy.close)
        self.purse = Purse(self.proxy.url, support.API_KEY, backoff_seconds=0.01, max_attempts=3)
        self.tool = new_tool(self.direct, 10)

    def attempts_at(self, path: str) -> List[Attempt]:
        return [a for a in self.proxy.attempts if a[1].startswith(path)]

    def test_a_reservation_whose_answer_was_lost_is_retried_with_its_id_and_reserved_once(self) -> None:
        customer = customer_with_credits(self.direct, 100)
        self.proxy.faults = [DROP]
        gen = self.purse.reserve(customer, self.tool, units=3)
        attempts = self.attempts_at("/v1/generations")
        self.assertEqual(len(attempts), 2)
        self.assertEqual(attempts[0][3], attempts[1][3])  # the same body, so the same generation id
        self.assertIn(gen["id"].encode(), attempts[0][3])
        self.assertEqual(self.direct.balance(customer)["reserved"], 30)
        self.assertEqual([g["id"] for g in self.direct.list_generations(customer)["data"]], [gen["id"]])

    def test_a_grant_retried_after_503_and_a_lost_answer_keeps_its_key_and_grants_once(self) -> None:
        customer = customer_with_credits(self.direct, 0)
        self.proxy.faults = [UNAVAILABLE, DROP]
        grant = self.purse.grant(customer, amount=40, source="bonus", reason="retry test")
        attempts = self.attempts_at("/v1/customers/%s/grants" % customer)
        self.assertEqual(len(attempts), 3)
        keys = {a[2] for a in attempts}
        self.assertEqual(len(keys), 1)
        self.assertIsNotNone(keys.pop())
        self.assertEqual([g["id"] for g in self.direct.list_grants(customer)], [grant["id"]])
        self.assertEqual(self.direct.balance(customer)["available"], 40)

    def test_a_completion_whose_answer_was_lost_answers_the_first_result(self) -> None:
        customer = customer_with_credits(self.direct, 100)
        gen = self.direct.reserve(customer, self.tool, units=2)
        self.proxy.faults = [DROP]
        done = self.purse.complete(gen["id"], units=1)
        self.assertEqual(len(self.attempts_at("/v1/generations/%s/complete" % gen["id"])), 2)
        self.assertEqual(done, self.direct.get_generation(gen["id"]))
        self.assertEqual(done["charged"], 10)
        self.assertEqual(self.direct.balance(customer)["available"], 90)

    def test_a_purchase_retried_keeps_its_key_and_buys_once(self) -> None:
        customer = customer_with_credits(self.direct, 0)
        pack = support.uid("pack")
        self.direct.put_pack(pack, name="Retry pack", credits=25, price={"amount": 500, "currency": "usd"})
        self.proxy.faults = [DROP]
        purchase = self.purse.buy_pack(customer, pack)
        attempts = self.attempts_at("/v1/customers/%s/purchases" % customer)
        self.assertEqual(len(attempts), 2)
        self.assertEqual(attempts[0][2], attempts[1][2])
        self.assertEqual([p["id"] for p in self.direct.list_purchases(customer)["data"]], [purchase["id"]])
        self.assertEqual(self.direct.balance(customer)["available"], 25)

    def test_attempts_are_bounded(self) -> None:
        customer = customer_with_credits(self.direct, 100)
        self.proxy.faults = [UNAVAILABLE] * 5
        with self.assertRaises(PurseError) as caught:
            self.purse.reserve(customer, self.tool)
        self.assertEqual((caught.exception.status, caught.exception.code), (503, "internal_error"))
        self.assertEqual(len(self.attempts_at("/v1/generations")), 3)
        self.assertEqual(self.direct.balance(customer)["reserved"], 0)

    def test_an_error_answer_is_not_retried(self) -> None:
        customer = customer_with_credits(self.direct, 5)
        with self.assertRaises(InsufficientCreditsError):
            self.purse.reserve(customer, self.tool)
        self.assertEqual(len(self.attempts_at("/v1/generations")), 1)

    def test_moving_the_test_clock_is_never_repeated(self) -> None:
        before = self.direct.get_test_clock()["now"]
        self.proxy.faults = [UNAVAILABLE]
        with self.assertRaises(PurseError):
            self.purse.advance_test_clock(1)
        self.assertEqual(len(self.attempts_at("/v1/test-clock")), 1)
        self.assertEqual(self.direct.get_test_clock()["now"], before)

    def test_no_server_raises_connection_failed_after_the_attempts(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        nobody = Purse("http://127.0.0.1:%d" % port, support.API_KEY, backoff_seconds=0.01, max_attempts=2)
        with self.assertRaises(ConnectionFailedError) as caught:
            nobody.balance("anyone")
        self.assertEqual((caught.exception.code, caught.exception.status), ("connection_error", None))
        self.assertIn("2 attempt", caught.exception.message)


if __name__ == "__main__":
    unittest.main()

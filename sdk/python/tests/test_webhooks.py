"""verify_webhook against signatures computed here with hmac, as the Standard Webhooks scheme says."""

import base64
import hashlib
import hmac
import json
import os
import time
import unittest
from typing import Dict

from purse import WebhookVerificationError, verify_webhook

KEY = os.urandom(32)
SECRET = "whsec_" + base64.b64encode(KEY).decode()
EVENT = {"id": "evt_1", "type": "credits.low", "createdAt": "2026-11-25T10:00:00.000Z", "customerId": "u_42", "data": {"available": 9}}
BODY = json.dumps(EVENT).encode()


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(timestamp: int, sig: str, msg_id: str = "evt_1") -> Dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": sig}


class VerifyWebhookTests(unittest.TestCase):
    def test_a_signed_body_gives_its_event(self) -> None:
        now = int(time.time())
        self.assertEqual(verify_webhook(BODY, headers(now, signature(KEY, "evt_1", now, BODY)), SECRET), EVENT)

    def test_a_str_body_and_headers_in_any_case_are_accepted(self) -> None:
        now = int(time.time())
        mixed = {"Webhook-Id": "evt_1", "WEBHOOK-TIMESTAMP": str(now), "Webhook-Signature": signature(KEY, "evt_1", now, BODY)}
        self.assertEqual(verify_webhook(BODY.decode(), mixed, SECRET), EVENT)

    def test_one_matching_signature_among_several_suffices(self) -> None:
        now = int(time.time())
        other = signature(os.urandom(32), "evt_1", now, BODY)
        sigs = " ".join([other, "v1a,bm90IGEgdjEgc2lnbmF0dXJl", signature(KEY, "evt_1", now, BODY)])
        self.assertEqual(verify_webhook(BODY, headers(now, sigs), SECRET), EVENT)

    def test_another_secret_is_refused(self) -> None:
        now = int(time.time())
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, headers(now, signature(os.urandom(32), "evt_1", now, BODY)), SECRET)

    def test_a_changed_body_id_or_timestamp_is_refused(self) -> None:
        now = int(time.time())
        sig = signature(KEY, "evt_1", now, BODY)
        for body, hdrs in [
            (BODY.replace(b"9", b"99"), headers(now, sig)),
            (BODY, headers(now, sig, msg_id="evt_2")),
            (BODY, headers(now + 1, sig)),
        ]:
            with self.subTest(hdrs=hdrs), self.assertRaises(WebhookVerificationError):
                verify_webhook(body, hdrs, SECRET)

    def test_the_timestamp_must_be_within_the_tolerance(self) -> None:
        now = 1_800_000_000
        for offset, ok in [(-299, True), (299, True), (-301, False), (301, False)]:
            sent = now + offset
            hdrs = headers(sent, signature(KEY, "evt_1", sent, BODY))
            with self.subTest(offset=offset):
                if ok:
                    self.assertEqual(verify_webhook(BODY, hdrs, SECRET, now=now), EVENT)
                else:
                    with self.assertRaises(WebhookVerificationError):
                        verify_webhook(BODY, hdrs, SECRET, now=now)
        sent = now - 1000
        hdrs = headers(sent, signature(KEY, "evt_1", sent, BODY))
        self.assertEqual(verify_webhook(BODY, hdrs, SECRET, tolerance=1200, now=now), EVENT)

    def test_missing_headers_and_malformed_values_are_refused(self) -> None:
        now = int(time.time())
        full = headers(now, signature(KEY, "evt_1", now, BODY))
        for name in full:
            partial = {k: v for k, v in full.items() if k != name}
            with self.subTest(missing=name), self.assertRaises(WebhookVerificationError):
                verify_webhook(BODY, partial, SECRET)
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, dict(full, **{"webhook-timestamp": "yesterday"}), SECRET)
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, dict(full, **{"webhook-signature": "v1"}), SECRET)
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, full, "whsec_not*base64")


if __name__ == "__main__":
    unittest.main()

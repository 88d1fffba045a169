"""What the tests share: the server under test, unique ids, a customer with credits.

The server is a real Purse that `node scripts/test-python.mjs` starts (test
clock on, sandbox payments) and names in PURSE_TEST_URL and PURSE_TEST_API_KEY.
Every test makes its own customers and tools with unique ids.
"""

import os
import uuid
from typing import Any

from purse import Purse

URL = os.environ.get("PURSE_TEST_URL", "")
API_KEY = os.environ.get("PURSE_TEST_API_KEY", "")
if not URL or not API_KEY:
    raise RuntimeError("these tests need a Purse server: run `npm run test:python` (sets PURSE_TEST_URL and PURSE_TEST_API_KEY)")


def client(**options: Any) -> Purse:
    """A client of the server under test; `options` as Purse takes them (short backoff by default)."""
    options.setdefault("backoff_seconds", 0.01)
    return Purse(URL, API_KEY, **options)


def uid(prefix: str) -> str:
    return "%s_%s" % (prefix, uuid.uuid4().hex[:12])


def customer_with_credits(purse: Purse, credits: int) -> str:
    """A new customer holding `credits` bonus credits that never expire."""
    customer_id = uid("cus")
    purse.put_customer(customer_id, name="Test customer")
    if credits:
        purse.grant(customer_id, amount=credits, source="bonus", reason="test credits")
    return customer_id


def new_tool(purse: Purse, credits: int, **fields: Any) -> str:
    """A new tool costing `credits` per unit."""
    tool_id = uid("tool")
    purse.put_tool(tool_id, name="Test tool", credits=credits, **fields)
    return tool_id

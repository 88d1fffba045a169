-- A reserved generation's due-hold lookup by customer and time.
CREATE INDEX generations_due_by_customer ON generations (customer_id, hold_until) WHERE status = 'reserved';

-- Superseded by generations_due_by_customer.
DROP INDEX generations_held_by_customer;

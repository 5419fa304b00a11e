"""The status a payment shows, from its state and outcome."""

# What a parent or staff member reads as a payment's status.
STATUS_SQL = (
    "CASE WHEN p.outcome = 'credited' THEN 'credited' "
    "WHEN p.state IN ('created', 'pending') THEN 'pending' ELSE p.state END"
)

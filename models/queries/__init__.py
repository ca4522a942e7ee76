"""Hand-written SQL, by area: the one place the club writes SQL itself.

Only where a benchmark showed the ORM's cost (BENCHMARKS.md): the purchase and its ledger
writes, a cashier's /earn, the member's windows (points, history, rewards), the outbox's
claims, audiences and the owner's figures; and the few reads the two databases spell
differently. Everything else goes through the ORM. Each module offers plain functions (or,
for the statements a caller runs beside others, the statements themselves) over the
machinery of `models.statements`; a dialect's branch lives here, never in `loyalty/`.
"""

"""Who runs the club and what each of them may do; every staff action leaves an audit row.

Roles: the owner (the Telegram ids in OWNER_IDS, passed in by the caller), a manager of
one branch or of all, a cashier of one branch. `permissions` decides which role may take
which action, for every door. By feature:

- `permissions`: the table, action to roles
- `access`: who is staff, branch scope
- `team`: invitations, roles, revoking
- `counter`: purchases, approvals, refunds, corrections, vouchers
- `profile`: a member as staff see them
- `inbox`: members' messages and the answers
- `catalogue`: rewards
- `places`: branches and product groups
- `club_settings`: the club's rules and the tiers
- `limits`: the ranges staff may type
- `figures`: report, export, audit log
"""

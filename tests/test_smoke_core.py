from tests.conftest import NOW
from tests.helpers import member
from loyalty import earning, ledger


async def test_purchase_on_both_databases(any_db: str) -> None:
    m = await member(NOW)
    result = await earning.award_purchase(m.id, 250_000, receipt="R1", now=NOW)
    assert result.points == 25
    assert result.balance == 45
    assert await ledger.ledger_sum(m.id) == 45

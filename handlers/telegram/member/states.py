"""Every state of the member dialogs, one group per dialog."""

from aiogram.fsm.state import State, StatesGroup


class SignupSG(StatesGroup):
    language = State()
    phone = State()
    name = State()
    birthday = State()
    gender = State()
    customer_type = State()
    branch = State()  # only when the club has more than one open branch
    interests = State()
    welcome = State()


class MenuSG(StatesGroup):
    main = State()
    name = State()  # a member who joined by SMS or was added without a name is asked first


class CardSG(StatesGroup):
    card = State()


class PointsSG(StatesGroup):
    points = State()


class HistorySG(StatesGroup):
    page = State()


class RewardsSG(StatesGroup):
    catalog = State()
    confirm = State()
    voucher = State()


class PartnersSG(StatesGroup):
    offers = State()
    confirm = State()
    code = State()


class VouchersSG(StatesGroup):
    vouchers = State()


class GiftCardsSG(StatesGroup):
    cards = State()
    card = State()
    give = State()
    given = State()


class CharitySG(StatesGroup):
    causes = State()
    amount = State()
    confirm = State()
    thanks = State()


class SurveySG(StatesGroup):
    surveys = State()
    question = State()
    thanks = State()


class InviteSG(StatesGroup):
    invite = State()


class FeedbackSG(StatesGroup):
    rating = State()
    text = State()
    thanks = State()


class MessagesSG(StatesGroup):
    write = State()
    sent = State()


class ProfileSG(StatesGroup):
    profile = State()
    name = State()
    last_name = State()
    gender = State()
    customer_type = State()
    company = State()
    interests = State()
    birthday = State()
    language = State()
    branch = State()


class DeleteSG(StatesGroup):
    confirm = State()


class BirthdaySG(StatesGroup):
    year = State()
    month = State()
    day = State()

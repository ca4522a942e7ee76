"""Domain errors: a code the channels translate, and the values the sentence needs."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    INVALID_PHONE = "invalid_phone"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_CARD = "invalid_card"
    INVALID_NAME = "invalid_name"
    INVALID_DATE = "invalid_date"
    MEMBER_NOT_FOUND = "member_not_found"
    MEMBER_DELETED = "member_deleted"
    TELEGRAM_LINKED_ELSEWHERE = "telegram_linked_elsewhere"
    BRANCH_NOT_FOUND = "branch_not_found"
    BRANCH_CLOSED = "branch_closed"  # `branch`: its name; it takes no new purchases or staff
    BRANCH_NAME_TAKEN = "branch_name_taken"  # `name`
    LAST_OPEN_BRANCH = "last_open_branch"  # the club needs one branch to ring purchases up
    GROUP_NOT_FOUND = "group_not_found"
    BELOW_MINIMUM = "below_minimum"
    PURCHASE_NOT_FOUND = "purchase_not_found"
    RECEIPT_IN_BRANCHES = "receipt_in_branches"  # `receipt`, `branches`: the ids holding it
    OWN_BRANCH_ONLY = "own_branch_only"  # `branch`: the one a staff member acts for
    REFUND_TOO_LARGE = "refund_too_large"
    ALREADY_REFUNDED = "already_refunded"
    ENTRY_NOT_FOUND = "entry_not_found"
    ALREADY_REVERSED = "already_reversed"
    NOT_REVERSIBLE = "not_reversible"
    REWARD_NOT_FOUND = "reward_not_found"
    REWARD_INACTIVE = "reward_inactive"
    REWARD_NOT_STARTED = "reward_not_started"
    REWARD_ENDED = "reward_ended"
    REWARD_OUT_OF_STOCK = "reward_out_of_stock"
    REWARD_WRONG_BRANCH = "reward_wrong_branch"
    TIER_TOO_LOW = "tier_too_low"
    CUSTOMER_TYPE_ONLY = "customer_type_only"  # `customer_type`: who the reward is for
    CARD_REPLACED = "card_replaced"  # `reference`: a card number since replaced
    TIER_NOT_FOUND = "tier_not_found"  # `tier`: as typed
    NOT_A_COMPANY = "not_a_company"  # a company earning rate for an individual
    NOT_ENOUGH_POINTS = "not_enough_points"
    NEGATIVE_BALANCE = "negative_balance"
    VOUCHER_NOT_FOUND = "voucher_not_found"
    VOUCHER_USED = "voucher_used"
    VOUCHER_EXPIRED = "voucher_expired"
    VOUCHER_CANCELLED = "voucher_cancelled"
    SELF_REFERRAL = "self_referral"
    ALREADY_REFERRED = "already_referred"
    REFERRAL_NOT_FOUND = "referral_not_found"
    FEEDBACK_RATING = "feedback_rating"
    TEXT_TOO_LONG = "text_too_long"
    EMPTY_TEXT = "empty_text"
    NOT_ALLOWED = "not_allowed"
    INVITE_NOT_FOUND = "invite_not_found"
    STAFF_NOT_FOUND = "staff_not_found"
    APPROVAL_NOT_FOUND = "approval_not_found"
    ALREADY_ANSWERED = "already_answered"
    INBOX_NOT_FOUND = "inbox_not_found"
    INVALID_SETTING = "invalid_setting"
    INVALID_VALUE = "invalid_value"
    OTHER_BRANCH = "other_branch"  # `branch`: the one a manager is limited to
    INVALID_FILTER = "invalid_filter"  # `filter` (audience key), `value`, `valid` (choices)
    DUPLICATE_PHONE = "duplicate_phone"
    INVALID_FILE = "invalid_file"  # an upload that is not text in an encoding the door reads
    AMOUNT_TOO_LARGE = "amount_too_large"
    NUMBER_TOO_LARGE = "number_too_large"  # `max`: the largest value the field holds
    ADJUSTMENT_TOO_LARGE = "adjustment_too_large"
    # A correction that would leave the balance below zero: `balance` now, `after` it.
    NEGATIVE_RESULT = "negative_result"
    ALREADY_APPROVED = "already_approved"
    ALREADY_REJECTED = "already_rejected"
    APPROVAL_REFUSED = "approval_refused"  # `reason`: the purchase's own refusal
    UNKNOWN_SCOPE = "unknown_scope"  # `scopes`: the names not known, `known`: those that are
    API_KEY_NOT_FOUND = "api_key_not_found"
    INVALID_GIFT_CODE = "invalid_gift_code"  # a typo: wrong length, letters or check character
    GIFT_CARD_NOT_FOUND = "gift_card_not_found"
    GIFT_CARD_BLOCKED = "gift_card_blocked"
    GIFT_CARD_EXPIRED = "gift_card_expired"
    GIFT_CARD_BALANCE = "gift_card_balance"  # `balance`, `needed`, `currency`
    GIFT_REFUND_TOO_LARGE = "gift_refund_too_large"  # `left`, `currency`: of the receipt
    GIFT_CARD_NOT_YOURS = "gift_card_not_yours"
    GIFT_CARD_TO_SELF = "gift_card_to_self"
    INVALID_MULTIPLIER = "invalid_multiplier"  # `max`: the largest a festival may have
    FESTIVAL_DATE = "festival_date"  # `text`: what was typed for a festival's day
    FESTIVAL_ENDS_FIRST = "festival_ends_first"  # its end is not after its start
    FESTIVAL_NOT_FOUND = "festival_not_found"
    INVALID_PERCENT = "invalid_percent"  # `percent`: not above 0 and at most 100
    INVALID_DATE_RANGE = "invalid_date_range"  # `starts`, `ends`: the end before the start
    DISCOUNT_NOT_FOUND = "discount_not_found"  # `rule`
    # Promo codes (`code`): why a code is refused at the till.
    PROMO_NOT_FOUND = "promo_not_found"
    PROMO_NOT_STARTED = "promo_not_started"  # `starts`
    PROMO_EXPIRED = "promo_expired"  # `ends`
    PROMO_USED_UP = "promo_used_up"
    PROMO_MEMBER_LIMIT = "promo_member_limit"
    PROMO_BELOW_MINIMUM = "promo_below_minimum"  # `minimum`
    PROMO_OTHER_BRANCH = "promo_other_branch"
    PROMO_OTHER_GROUP = "promo_other_group"
    # Charity (`loyalty.charity`).
    CAUSE_NOT_FOUND = "cause_not_found"  # `cause`: the number asked for
    NO_CAUSES = "no_causes"  # no cause takes gifts now
    CHOOSE_CAUSE = "choose_cause"  # several causes take gifts: the member must name one
    CHARITY_BELOW_MINIMUM = "charity_below_minimum"  # `minimum`: the club's rule
    # Partners (`loyalty.partners`).
    PARTNER_NOT_FOUND = "partner_not_found"  # `partner`: the number asked for
    OFFER_NOT_FOUND = "offer_not_found"  # `offer`: no partner offer with that number
    CODES_RAN_OUT = "codes_ran_out"  # `reward`: its name; the uploaded codes are all given
    NOT_UPLOADED_CODES = "not_uploaded_codes"  # `offer`: its codes are the club's own
    BAD_CODES_FILE = "bad_codes_file"  # `line`, `code`: a code that cannot be one
    NO_CODES_IN_FILE = "no_codes_in_file"
    # Agents (`loyalty.agents`).
    AGENT_NOT_FOUND = "agent_not_found"  # `code`: as typed
    PAY_MORE_THAN_DUE = "pay_more_than_due"  # `due`, `amount`
    # Surveys (`loyalty.surveys`).
    SURVEY_NOT_FOUND = "survey_not_found"  # `survey`: the number asked for
    SURVEY_SENT = "survey_sent"  # `survey`: sent already, its questions are fixed
    SURVEY_NO_QUESTIONS = "survey_no_questions"  # `survey`
    SURVEY_TOO_MANY = "survey_too_many"  # `max`: questions in one survey
    SURVEY_OPTIONS = "survey_options"  # `min`, `max`: the options of a choice question
    SURVEY_DEADLINE_PAST = "survey_deadline_past"  # the deadline given is over already
    SURVEY_CLOSED = "survey_closed"  # closed, or past its deadline: no more answers
    SURVEY_ANSWERED = "survey_answered"  # the member completed it already
    SURVEY_NOT_INVITED = "survey_not_invited"  # the member was not among those asked
    SURVEY_ANSWER_RANGE = "survey_answer_range"  # `low`, `high`: the numbers allowed
    SURVEY_ANSWER_MISSING = "survey_answer_missing"  # `question`: a required one unanswered
    SURVEY_NO_SMS_QUESTION = "survey_no_sms_question"  # no choice or rating question for SMS
    SURVEY_SMS_TOO_LONG = "survey_sms_too_long"  # `parts`: the SMS question takes more than one
    PROMO_TIER = "promo_tier"  # `tier`: the code of the lowest tier it is for
    PROMO_ONCE_PER_PURCHASE = "promo_once_per_purchase"
    PROMO_NOT_YOURS = "promo_not_yours"  # a batch's code, given to another member
    # Promo batches (`campaign`): the campaign a batch is sent with.
    CAMPAIGN_NOT_FOUND = "campaign_not_found"
    CAMPAIGN_STARTED = "campaign_started"  # it is being sent or was sent: too late for codes
    CAMPAIGN_NO_CODE = "campaign_no_code"  # its text has no {code} for the member's code
    CAMPAIGN_HAS_BATCH = "campaign_has_batch"
    # An upload that is no picture, or too large (`loyalty.pictures`).
    BAD_PICTURE = "bad_picture"
    # A message from staff to one member, by a channel the member cannot be reached on.
    NO_TELEGRAM = "no_telegram"
    NO_SMS = "no_sms"
    # The showcase (`loyalty.showcase`) and the branches' details members read.
    INVALID_LINK = "invalid_link"  # not a web address (http or https)
    INVALID_CONTACT_PHONE = "invalid_contact_phone"  # the club's or a branch's phone
    BANNER_NOT_FOUND = "banner_not_found"
    PICTURE_NOT_FOUND = "picture_not_found"  # of the gallery
    # The club's look and contact details (`loyalty.staff.look`).
    BAD_COLOUR = "bad_colour"  # not #rrggbb


class LoyaltyError(Exception):
    """A request the rules refuse. Nothing was changed when this is raised."""

    def __init__(self, code: ErrorCode, /, **values: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.values = values

    def __repr__(self) -> str:
        return f"LoyaltyError({self.code.value!r}, {self.values!r})"

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.sms import InboundOutcome
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InboundSms',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('messageid', fields.BigIntField(null=True, unique=True)),
                ('sender', fields.CharField(db_index=True, max_length=32)),
                ('receptor', fields.CharField(default='', max_length=32)),
                ('text', fields.TextField(unique=False)),
                ('member_id', fields.IntField(null=True)),
                ('outcome', fields.CharEnumField(default=InboundOutcome.RECEIVED, description='RECEIVED: received\nANSWERED: answered\nHELP: help\nSILENT: silent\nNOT_MOBILE: not_mobile\nTHROTTLED: throttled\nIGNORED: ignored', enum_type=InboundOutcome, max_length=10)),
                ('reply', fields.TextField(null=True, unique=False)),
                ('received_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inbound_sms', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One SMS received on the club line, kept to dedupe, rate limit and audit replies.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('receptor', fields.CharField(max_length=32)),
                ('message', fields.TextField(unique=False)),
                ('localid', fields.CharField(default='', max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sms_log', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An SMS the dry gateway did not send because no Kavenegar key is configured.'},
            bases=['Model'],
        ),
    ]

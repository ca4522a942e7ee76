from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FsmRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=255)),
                ('state', fields.CharField(null=True, max_length=255)),
                ('data', fields.TextField(default='{}', unique=False)),
            ],
            options={'table': 'fsm_record', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One row per storage key: the dialog state and its data as JSON text.'},
            bases=['Model'],
        ),
    ]

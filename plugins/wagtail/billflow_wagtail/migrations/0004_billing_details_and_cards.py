from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billflow_wagtail", "0003_billflowsettings_pause_limit_per_year"),
    ]

    operations = [
        migrations.AddField(
            model_name="billflowsettings",
            name="payment_methods",
            field=models.BooleanField(
                default=True,
                help_text="Customers keep several cards: add one, choose the default, remove one.",
            ),
        ),
        migrations.AddField(
            model_name="billflowsettings",
            name="pay_invoices",
            field=models.BooleanField(
                default=True, help_text='"Pay now" on an open or past-due invoice.'
            ),
        ),
        migrations.AddField(
            model_name="billflowsettings",
            name="billing_details",
            field=models.BooleanField(
                default=False,
                help_text="Customers edit the name, email, address and phone on their invoices.",
            ),
        ),
        migrations.AddField(
            model_name="billflowsettings",
            name="change_billing_email",
            field=models.BooleanField(
                default=False,
                help_text="Customers known by their email may change it too (change their login "
                "to match). Needs billing details on; not with email sign-in.",
            ),
        ),
        migrations.AddField(
            model_name="billflowsettings",
            name="tax_ids",
            field=models.BooleanField(
                default=False, help_text="Customers add and remove VAT and other tax IDs."
            ),
        ),
    ]

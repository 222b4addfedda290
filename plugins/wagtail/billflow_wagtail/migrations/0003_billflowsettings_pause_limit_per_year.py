from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billflow_wagtail", "0002_rate_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="billflowsettings",
            name="pause_limit_per_year",
            field=models.PositiveIntegerField(
                default=1, help_text="How many times a subscription may be paused in any 365 days."
            ),
        ),
    ]

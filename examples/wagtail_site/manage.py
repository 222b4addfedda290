#!/usr/bin/env python
"""The sample Wagtail site with the Billing portal block: `python manage.py demo`."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

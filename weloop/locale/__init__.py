"""Translations (django.po/.mo per language) and the list of error messages makemessages extracts."""

from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "weloop.members"
    label = "members"
    verbose_name = "Members"

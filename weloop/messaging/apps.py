from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "weloop.messaging"
    label = "messaging"
    verbose_name = "Service-account messaging"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from weloop.core.models import StateTransition
        from weloop.messaging import inbound_tasks  # noqa: F401  (registers the queue tasks)
        from weloop.messaging.config import on_merchant_transition, on_model_change
        from weloop.messaging.models import AutoReplyRule, FollowGreeting
        from weloop.tenants.models import Merchant, WechatAccount

        # The callback keeps these per process (messaging/config.py): any change makes it reload.
        for model in (Merchant, WechatAccount, AutoReplyRule, FollowGreeting):
            post_save.connect(on_model_change, sender=model, dispatch_uid=f"wechat-config-{model.__name__}-save")
            post_delete.connect(on_model_change, sender=model, dispatch_uid=f"wechat-config-{model.__name__}-delete")
        # The merchant state machine writes the status with QuerySet.update (no save signal) and
        # records the transition: a suspension is seen through that row.
        post_save.connect(on_merchant_transition, sender=StateTransition, dispatch_uid="wechat-config-merchant-status")

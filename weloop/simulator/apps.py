from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "weloop.simulator"
    label = "simulator"
    verbose_name = "WeChat simulator"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from weloop.simulator.accounts import forget_accounts
        from weloop.simulator.tokens import forget_tokens
        from weloop.tenants.models import Merchant, WechatAccount

        for model in (Merchant, WechatAccount):
            post_save.connect(forget_accounts, sender=model, dispatch_uid=f"simulator-accounts-{model.__name__}")
            post_delete.connect(forget_accounts, sender=model, dispatch_uid=f"simulator-accounts-del-{model.__name__}")
        post_save.connect(forget_tokens, sender="simulator.SimAccessToken", dispatch_uid="simulator-tokens-save")
        post_delete.connect(forget_tokens, sender="simulator.SimAccessToken", dispatch_uid="simulator-tokens-delete")

"""WeChat protocol adapters (layer L1): no models, no views.

- ``crypto``: the callback protocol (signatures, plaintext/compatible/safe mode), for both sides.
- ``messages``: inbound messages/events parsed into ``Message``; passive replies.
- ``client``: ``WeChatApi``, the outbound Official Account APIs with a shared access_token.
- ``oauth``: web authorization of H5 pages. ``jssdk``: the ``wx.config`` signature.
- ``limits``: WeChat's limits as data (menus, tags, QR codes, the customer-service window).
- ``pay``: WeChat Pay v3 (``WeChatPayClient``, ``open_notification``); ``pay_crypto`` its signatures
  and AES-GCM, shared with the simulator's pay server; ``pay_errors`` its errors.
"""

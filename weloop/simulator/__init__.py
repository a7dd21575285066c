"""The WeChat simulator: WeChat's servers over HTTP and a consumer's phone, for local use and tests."""

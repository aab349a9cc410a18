import config


def test_timeout_default():
    assert config.DEFAULTS["timeout"] == 30
    assert config.load()["timeout"] == 30


def test_existing_defaults_kept():
    assert config.DEFAULTS["host"] == "localhost"
    assert config.DEFAULTS["port"] == 8080
    assert config.DEFAULTS["retries"] == 3


def test_override_timeout():
    assert config.load({"timeout": 5})["timeout"] == 5
    assert config.DEFAULTS["timeout"] == 30

"""Tests of environment parsing in classroom_manager.config."""

import unittest

from classroom_manager import faults
from classroom_manager.config import ConfigError, load_settings, redact_url_password

REQUIRED = {"POSTGRES_DB": "classroom", "POSTGRES_USER": "classroom", "POSTGRES_PASSWORD": "s3cret"}


class LoadSettingsTest(unittest.TestCase):
    def test_defaults_apply_when_unset(self):
        settings = load_settings(REQUIRED)
        self.assertEqual(settings.postgres_host, "postgres")
        self.assertEqual(settings.postgres_port, 5432)
        self.assertEqual(settings.redis_url, "redis://redis:6379/0")
        self.assertEqual(settings.app_version, "dev")
        self.assertEqual(settings.fault, "")
        self.assertEqual(settings.fault_delay_seconds, faults.DEFAULT_DELAY_SECONDS)

    def test_missing_required_variable_is_named(self):
        for name in REQUIRED:
            with self.subTest(name=name):
                environ = {key: value for key, value in REQUIRED.items() if key != name}
                with self.assertRaisesRegex(ConfigError, name):
                    load_settings(environ)

    def test_invalid_port_rejected(self):
        for value in ("abc", "0", "70000"):
            with self.subTest(value=value), self.assertRaisesRegex(ConfigError, "POSTGRES_PORT"):
                load_settings({**REQUIRED, "POSTGRES_PORT": value})

    def test_unknown_fault_rejected(self):
        with self.assertRaisesRegex(ConfigError, "CLASSROOM_FAULT='explode'"):
            load_settings({**REQUIRED, "CLASSROOM_FAULT": "explode"})

    def test_every_known_fault_accepted(self):
        for fault in faults.NAMES:
            with self.subTest(fault=fault):
                self.assertEqual(load_settings({**REQUIRED, "CLASSROOM_FAULT": fault}).fault, fault)

    def test_invalid_fault_delay_rejected(self):
        for value in ("soon", "-1", "inf", "nan"):
            with self.subTest(value=value), self.assertRaisesRegex(ConfigError, "CLASSROOM_FAULT_DELAY"):
                load_settings({**REQUIRED, "CLASSROOM_FAULT_DELAY": value})

    def test_invalid_redis_url_hides_password(self):
        with self.assertRaises(ConfigError) as caught:
            load_settings({**REQUIRED, "REDIS_URL": "http://:hunter2@redis:6379"})
        self.assertNotIn("hunter2", str(caught.exception))

    def test_password_absent_from_repr(self):
        settings = load_settings({**REQUIRED, "REDIS_URL": "redis://:hunter2@redis:6379/0"})
        self.assertNotIn("s3cret", repr(settings))
        self.assertNotIn("hunter2", repr(settings))


class RedactUrlPasswordTest(unittest.TestCase):
    def test_password_replaced(self):
        self.assertEqual(redact_url_password("redis://app:pw@redis:6379/0"), "redis://app:***@redis:6379/0")

    def test_password_without_user_replaced(self):
        self.assertEqual(redact_url_password("redis://:pw@redis:6379/0"), "redis://:***@redis:6379/0")

    def test_url_without_password_unchanged(self):
        self.assertEqual(redact_url_password("redis://redis:6379/0"), "redis://redis:6379/0")


if __name__ == "__main__":
    unittest.main()

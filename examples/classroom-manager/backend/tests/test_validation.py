"""Tests of request body validation in classroom_manager.validation."""

import unittest

from classroom_manager.validation import (
    MAX_NAME_LENGTH,
    ValidationError,
    parse_json_body,
    validate_classroom_name,
)


class ParseJsonBodyTest(unittest.TestCase):
    def test_valid_json_parsed(self):
        self.assertEqual(parse_json_body(b'{"name": "Room 1"}'), {"name": "Room 1"})

    def test_malformed_json_rejected(self):
        with self.assertRaisesRegex(ValidationError, "not valid JSON"):
            parse_json_body(b'{"name": ')

    def test_empty_body_rejected(self):
        with self.assertRaisesRegex(ValidationError, "not valid JSON"):
            parse_json_body(b"")

    def test_non_utf8_rejected(self):
        with self.assertRaisesRegex(ValidationError, "UTF-8"):
            parse_json_body(b'{"name": "\xff"}')


class ValidateClassroomNameTest(unittest.TestCase):
    def test_name_stripped(self):
        self.assertEqual(validate_classroom_name({"name": "  Room 1 "}), "Room 1")

    def test_max_length_accepted(self):
        name = "x" * MAX_NAME_LENGTH
        self.assertEqual(validate_classroom_name({"name": name}), name)

    def test_invalid_payloads_rejected(self):
        cases = [
            (["Room 1"], "JSON object"),
            ({}, "missing"),
            ({"name": None}, "not null"),
            ({"name": 12}, "not number"),
            ({"name": ""}, "empty"),
            ({"name": "   "}, "empty"),
            ({"name": "x" * (MAX_NAME_LENGTH + 1)}, "maximum is 100"),
        ]
        for payload, message in cases:
            with self.subTest(payload=payload), self.assertRaisesRegex(ValidationError, message):
                validate_classroom_name(payload)


if __name__ == "__main__":
    unittest.main()

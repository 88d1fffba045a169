"""The tests use the installed package, and it carries its type marker."""

import os
import unittest
from importlib import metadata

import purse


class PackageTests(unittest.TestCase):
    def test_the_installed_copy_is_imported_with_py_typed(self) -> None:
        self.assertIn("site-packages", purse.__file__)
        self.assertTrue(os.path.isfile(os.path.join(os.path.dirname(purse.__file__), "py.typed")))

    def test_the_installed_version_is_the_package_version(self) -> None:
        self.assertEqual(metadata.version("purse-sdk"), purse.__version__)
        self.assertEqual(metadata.metadata("purse-sdk")["Requires-Python"], ">=3.9")


if __name__ == "__main__":
    unittest.main()

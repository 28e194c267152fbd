"""Attachment names: what the client sent, cleaned, with the extension of what the bytes are."""

from minhu.core.files import StoredFile, display_name

PNG_FILE = StoredFile(storage_key="ab/cdef.png", content_type="image/png", size=10, sha256="0" * 64)


def test_control_characters_and_surrogates_are_dropped():
    assert display_name("门\x00口\ud800\t.png", PNG_FILE) == "门口.png"


def test_the_extension_follows_the_content():
    assert display_name("invoice.exe", PNG_FILE) == "invoice.png"
    assert display_name("/etc/../照片", PNG_FILE) == "照片.png"


def test_a_name_with_nothing_left_gets_a_generic_one():
    assert display_name("...", PNG_FILE) == "附件.png"
    assert display_name("", PNG_FILE) == "附件.png"

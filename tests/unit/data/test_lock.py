"""One writer per dataset folder and per workdir: a second one is refused in one line naming the lock;
the lock of a killed process is taken over."""



from ada.data.lock import LOCK_FILE, LockError, hold


def test_hold_is_reentrant_releases_and_removes_a_folder_it_made(tmp_path):
    folder = tmp_path / "new"
    with hold(folder, "x"):
        with hold(folder, "x"):  # ada corpus holds its folder, then prepares it
            assert (folder / LOCK_FILE).exists()
        assert (folder / LOCK_FILE).exists()
    assert not folder.exists()  # made for the lock and left empty: gone again
    (tmp_path / "kept").mkdir()
    with hold(tmp_path / "kept", "x"):
        (tmp_path / "kept" / "result").write_text("x")
    assert (tmp_path / "kept" / "result").exists() and not (tmp_path / "kept" / LOCK_FILE).exists()


def test_lock_error_is_a_user_error():
    from ada.cli import user_errors

    assert LockError in user_errors()

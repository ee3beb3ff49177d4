"""Input expansion: every real file once, no loops, one-line errors, no output inside an input."""

import os

import pytest
from conftest import ROOT
from winnow import cli
from winnow.errors import WinnowError
from winnow.io import listing


def _names(files, base):
    return [os.path.relpath(f.path, base) for f in files]


def _tree(tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.jsonl").write_text('{"text": "a"}\n')
    (d / "sub" / "b.jsonl").write_text('{"text": "b"}\n')
    return d


def test_unreadable_directory_is_an_error(tmp_path):
    d = _tree(tmp_path)
    locked = d / "locked"
    locked.mkdir()
    (locked / "c.jsonl").write_text("{}\n")
    locked.chmod(0)
    try:
        if os.geteuid() == 0 and os.access(locked, os.R_OK | os.X_OK):
            pytest.skip("root reads a chmod 000 directory (see the too-long-path test)")
        with pytest.raises(WinnowError) as err:
            listing.expand_inputs([str(d)])
        assert str(err.value) == (
            f"input {d}: cannot read directory {locked}: Permission denied")
    finally:
        locked.chmod(0o755)


def test_listing_error_text_also_as_root(tmp_path):
    # The error an unreadable directory gives, raised here by listing a file (as root too).
    d = _tree(tmp_path)
    with pytest.raises(WinnowError) as err:
        listing._listdir(str(d / "a.jsonl"), str(d))
    assert str(err.value) == f"input {d}: cannot read directory {d}/a.jsonl: Not a directory"


def test_directory_entry_that_cannot_be_stat_ed_is_an_error_also_as_root(tmp_path):
    # A path longer than PATH_MAX cannot be stat'ed by anyone, root included.
    d = _tree(tmp_path)
    fd = os.open(d / "sub", os.O_RDONLY)
    name = "n" * 250
    try:
        for _ in range(20):
            os.mkdir(name, dir_fd=fd)
            new = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
    finally:
        os.close(fd)
    with pytest.raises(WinnowError) as err:
        listing.expand_inputs([str(d)])
    message = str(err.value)
    assert message.startswith(f"input {d}: cannot stat {d}/sub/{name}/")
    assert message.endswith(": File name too long") and "\n" not in message


def test_glob_through_a_directory_symlink_loop_reads_each_file_once(tmp_path):
    d = _tree(tmp_path)
    (d / "loop").symlink_to(d)
    (d / "sub" / "up").symlink_to("..")
    for raw in (f"{d}/**/*.jsonl", str(d)):
        assert _names(listing.expand_inputs([raw]), d) == ["a.jsonl", "sub/b.jsonl"], raw
    # d/* also names d/loop: the first path in sorted order of each real file is kept.
    assert _names(listing.expand_inputs([f"{d}/*"]), d) == ["a.jsonl", "loop/sub/b.jsonl"]


def test_symlink_chain_loop_is_an_error(tmp_path):
    d = _tree(tmp_path)
    (d / "x").symlink_to(d / "y")
    (d / "y").symlink_to(d / "x")
    with pytest.raises(WinnowError) as err:
        listing.expand_inputs([str(d)])
    assert str(err.value) == f"input {d}: symlink loop at {d}/x"
    with pytest.raises(WinnowError) as err:
        listing.expand_inputs([str(d / "y")])
    assert str(err.value) == f"input {d}/y: symlink loop at {d}/y"


def test_directory_symlinks_followed_links_read_once(tmp_path):
    d = _tree(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "e.jsonl").write_text('{"text": "e"}\n')
    (d / "shard").symlink_to(elsewhere)
    (d / "shard-again").symlink_to(elsewhere)
    (d / "a-link.jsonl").symlink_to(d / "a.jsonl")
    os.link(d / "sub" / "b.jsonl", d / "b-hard.jsonl")
    files = listing.expand_inputs([str(d), str(elsewhere / "e.jsonl"), str(d / "a.jsonl")])
    # The first path in sorted order of each real file ("-" sorts before "." and "/").
    assert _names(files, d) == ["a-link.jsonl", "b-hard.jsonl", "shard-again/e.jsonl"]


def test_entries_that_cannot_be_stat_ed(tmp_path):
    d = _tree(tmp_path)
    (d / "README").symlink_to(tmp_path / "nowhere")  # not an input file: ignored
    assert _names(listing.expand_inputs([str(d)]), d) == ["a.jsonl", "sub/b.jsonl"]
    (d / "c.jsonl").symlink_to(tmp_path / "nowhere")
    with pytest.raises(WinnowError) as err:
        listing.expand_inputs([str(d)])
    assert str(err.value) == (
        f"input {d}: broken symlink {d}/c.jsonl: No such file or directory")
    (d / "c.jsonl").unlink()
    os.mkfifo(d / "pipe.jsonl")
    with pytest.raises(WinnowError) as err:
        listing.expand_inputs([str(d)])
    assert str(err.value) == f"input {d}: not a regular file: {d}/pipe.jsonl"


def test_file_name_not_utf8_is_an_error(tmp_path):
    d = _tree(tmp_path)
    open(os.path.join(os.fsencode(d), b"\xff.jsonl"), "w").close()
    with pytest.raises(WinnowError) as err:
        listing.expand_inputs([str(d)])
    assert str(err.value) == f"input {d}: file name is not UTF-8: '{d}/\\udcff.jsonl'"


@pytest.mark.parametrize(
    ("inputs", "output", "message"),
    [
        (["{d}"], "{d}", "--output {d} is input {d}: a run would read its own output"),
        (["{d}/"], "{d}/out", "--output {d}/out is inside input {d}/: a run would read its "
         "own output"),
        (["{d}/**/*.jsonl"], "{d}/sub/out",
         "--output {d}/sub/out is inside input {d}/**/*.jsonl: a run would read its own output"),
        (["{d}/s*"], "{d}/sub/out",
         "--output {d}/sub/out is inside input {d}/s*: a run would read its own output"),
        (["{d}/sub/b.jsonl"], "{d}",
         "input {d}/sub/b.jsonl is inside --output {d}: a run would read its own output"),
        (["{link}"], "{d}/x", "--output {d}/x is inside input {link}: a run would read its "
         "own output"),
        (["s3a://bucket/raw/"], "s3://bucket/raw/curated",
         "--output s3://bucket/raw/curated is inside input s3a://bucket/raw/: a run would read "
         "its own output"),
        (["s3://bucket/raw/day1"], "s3a://bucket//raw",
         "input s3://bucket/raw/day1 is inside --output s3a://bucket//raw: a run would read "
         "its own output"),
    ],
)
def test_output_overlapping_an_input_is_refused(tmp_path, inputs, output, message):
    d = _tree(tmp_path)
    (tmp_path / "link").symlink_to(d)
    fmt = {"d": str(d), "link": str(tmp_path / "link")}
    with pytest.raises(WinnowError) as err:
        listing.check_output_outside_inputs([i.format(**fmt) for i in inputs],
                                            output.format(**fmt))
    assert str(err.value) == message.format(**fmt)


def test_outputs_beside_inputs_are_accepted(tmp_path):
    d = _tree(tmp_path)
    for inputs, output in [
        ([str(d)], str(tmp_path / "d-curated")),
        ([f"{d}/*.jsonl"], str(d / "out")),        # the glob cannot reach d/out
        ([f"{d}/sub/*"], str(d / "out")),
        (["s3a://bucket/raw/"], "s3a://bucket/raw-curated"),
        (["s3a://bucket/raw/"], "gs://bucket/raw/curated"),
        ([str(d)], "s3a://bucket" + str(d) + "/out"),
    ]:
        listing.check_output_outside_inputs(inputs, output)


def test_cli_refuses_output_inside_input_before_spark(tmp_path, capsys):
    d = _tree(tmp_path)
    code = cli.main(["run", "--config", str(ROOT / "conf" / "default.yaml"),
                     "--input", str(d), "--output", str(d / "out"), "--state", str(d / "_s")])
    assert code == 2
    err = capsys.readouterr().err
    assert err == (f"winnow: error: --output {d}/out is inside input {d}: "
                   "a run would read its own output\n")

"""Issue 13, items 1-4: damaged gzip, very wide files, tracebacks and bare
aborts, record numbers. Each test reproduces a failure the review found."""

from __future__ import annotations

import gzip
import os
import random
import shutil
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from helpers import HEADER, record, snapshot

import cohort
from cohort.cli import main
from cohort.errors import ColumnError, InputError

FIXTURES = Path(__file__).parent / "fixtures" / "naaccr"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def lines(n, start=1):
    return [record(i) for i in range(start, start + n)]


@pytest.fixture
def loaded(registry, write_csv):
    registry.load(write_csv("good.csv", lines(3, 900)))
    return registry, snapshot(registry)


def gz(path: Path, text: str, *, level: int = 6) -> Path:
    path.write_bytes(gzip.compress(text.encode(), compresslevel=level, mtime=0))
    return path


# -- 1. damaged gzip ------------------------------------------------------------------
def test_flipped_bit_in_stored_gzip_block_is_refused_not_loaded(loaded, tmp_path):
    """A flipped bit inside an uncompressed (stored) deflate block keeps the
    stream valid: only the CRC tells. The review saw such files load values
    that are not in the source."""
    reg, before = loaded
    text = "\n".join([HEADER, *lines(50)]) + "\n"
    good = gz(tmp_path / "good.csv.gz", text, level=0)
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0x04  # inside the stored data, away from header and trailer
    bad = tmp_path / "flipped.csv.gz"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"flipped.csv.gz: damaged gzip file: its CRC-32 check "
                       r"fails.*nothing was loaded"):
        reg.load(bad)
    assert snapshot(reg) == before


def test_every_single_bit_flip_is_refused_or_loads_the_true_data(registry, tmp_path):
    """Flip one bit at 60 places of a compressed extract: each copy is
    refused as damaged, or (a flip in the gzip header's unused fields) loads
    exactly the original records; never anything else."""
    text = "\n".join([HEADER, *lines(400)]) + "\n"
    good = gz(tmp_path / "good.csv.gz", text)
    truth = cohort.Registry(tmp_path / "truth.duckdb")
    truth.load(good)
    want = truth.sql("select * exclude (load_id) from raw_cases order by record_no").rows()
    data = good.read_bytes()
    rng = random.Random(13)
    refused = 0
    for k in range(60):
        pos = rng.randrange(len(data))
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rng.randrange(8)
        path = tmp_path / f"flip{k}.csv.gz"
        path.write_bytes(bytes(flipped))
        reg = cohort.Registry(tmp_path / f"r{k}.duckdb")
        try:
            (result,) = reg.load(path)
        except InputError:
            refused += 1
            continue
        assert result.rows_loaded == 400
        got = reg.sql("select * exclude (load_id) from raw_cases order by record_no").rows()
        assert got == want
    assert refused >= 50


@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_truncated_gzip_is_refused_with_a_message(loaded, tmp_path, keep):
    reg, before = loaded
    text = "\n".join([HEADER, *lines(2000)]) + "\n"
    data = gz(tmp_path / "whole.csv.gz", text).read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputError, match="cut.csv.gz: damaged gzip file: it is truncated"):
        reg.load(cut)
    assert snapshot(reg) == before
    # on the command line: one line, exit 1, no bare "Aborted!" (click's
    # answer to an EOFError), no traceback
    out = run("load", cut, "--db", reg.path)
    assert out.exit_code == 1
    assert out.output.startswith("Error: ") and "truncated" in out.output
    assert "Aborted" not in out.output and "Traceback" not in out.output


def test_trailing_garbage_after_gzip_is_refused(registry, tmp_path):
    path = gz(tmp_path / "t.csv.gz", "\n".join([HEADER, *lines(5)]) + "\n")
    path.write_bytes(path.read_bytes() + b"\x01garbage")
    with pytest.raises(InputError, match="not another gzip member"):
        registry.load(path)


def test_multi_member_gzip_loads_whole_and_padding_is_refused(registry, tmp_path):
    first = gzip.compress(("\n".join([HEADER, *lines(3)]) + "\n").encode())
    second = gzip.compress(("\n".join(lines(4, start=4)) + "\n").encode())
    path = tmp_path / "two.csv.gz"
    path.write_bytes(first + second)
    (result,) = registry.load(path)
    assert (result.rows_read, result.rows_loaded) == (7, 7)
    # zero padding after the last member: gzip -d tolerates it, DuckDB does not
    padded = tmp_path / "padded.csv.gz"
    padded.write_bytes(first + b"\x00" * 512)
    with pytest.raises(InputError, match="not another gzip member .padding or garbage."):
        registry.load(padded)


@pytest.mark.parametrize("kind", ["xml", "flat"])
def test_corrupt_gzip_naaccr_files_give_one_line_not_zlib_error(registry, tmp_path, kind):
    source = (FIXTURES / "synthetic-data_naaccr-180-incidence_10-tumors.xml" if kind == "xml"
              else FIXTURES / "synthetic-data_naaccr-180-incidence_10-records.txt")
    data = bytearray(gzip.compress(source.read_bytes(), mtime=0))
    for i in range(40, 60):  # wreck the deflate stream itself
        data[i] ^= 0xFF
    path = tmp_path / f"bad.{kind}.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="damaged gzip file"):
        registry.load(path)
    out = run("load", path, "--db", registry.path)
    assert out.exit_code == 1 and "damaged gzip file" in out.output
    assert "zlib.error" not in out.output and "Traceback" not in out.output


def test_other_compressions_are_named(registry, tmp_path):
    path = tmp_path / "x.csv.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 100)
    with pytest.raises(InputError, match="zstd-compressed, which cohort does not read"):
        registry.load(path)


def test_gzip_check_streams(tmp_path):
    """The check decompresses in bounded pieces: a 60 MB run of zeros
    (60 KB compressed) passes through it in 1 MB blocks."""
    from cohort.readers import textfile

    path = tmp_path / "zeros.gz"
    path.write_bytes(gzip.compress(b"\0" * (60 << 20)))
    sizes = []
    real = textfile._gunzip

    def spy(*args):
        for block in real(*args):
            sizes.append(len(block))
            yield block

    textfile._gunzip = spy
    try:
        scan = textfile.scan_file(path)
    finally:
        textfile._gunzip = real
    assert sum(sizes) == 60 << 20 and max(sizes) <= 1 << 20
    assert scan.compression == "gzip"


# -- 2. very wide files ---------------------------------------------------------------
def test_very_wide_header_is_refused_before_the_sniffer(loaded, tmp_path):
    reg, before = loaded
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(200_000)) + "\n" + "1," * 199_999 + "1\n")
    with pytest.raises(InputError) as err:
        reg.load(path)
    msg = str(err.value)
    assert "or more comma-separated columns; cohort reads at most 5,000" in msg
    assert len(msg) < 400
    assert snapshot(reg) == before


def test_wide_parquet_is_refused(registry, tmp_path):
    path = tmp_path / "wide.parquet"
    pl.DataFrame({f"c{i}": [1] for i in range(5_001)}).write_parquet(path)
    with pytest.raises(InputError, match="5,001 columns; cohort reads at most 5,000"):
        registry.load(path)


def test_errors_quoting_input_are_short(registry, tmp_path):
    path = tmp_path / "many.csv"
    path.write_text(",".join(f"column_with_a_long_name_{i}" for i in range(3_000)) + "\n"
                    + ",".join("1" for _ in range(3_000)) + "\n")
    with pytest.raises(ColumnError) as err:
        registry.load(path)
    msg = str(err.value)
    assert "and 2,960 more" in msg
    assert len(msg) < 4_000


# -- 3. tracebacks and bare aborts -> one line ----------------------------------------
@pytest.mark.parametrize("encoding", ["foo-bar", "shift_jis", "big5"])
def test_xml_with_an_encoding_expat_cannot_use(registry, tmp_path, encoding):
    text = (FIXTURES / "synthetic-data_naaccr-180-incidence_10-tumors.xml").read_text()
    path = tmp_path / "enc.xml"
    path.write_text(text.replace('<?xml version="1.0"?>',
                                 f'<?xml version="1.0" encoding="{encoding}"?>'))
    with pytest.raises(InputError) as err:
        registry.load(path)
    msg = str(err.value)
    assert "names an encoding cohort cannot read" in msg and "save the file as UTF-8" in msg
    assert "Traceback" not in msg and "\n" not in msg


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                      "utf-32-be"])
def test_utf16_and_utf32_csv_load_like_utf8(registry, write_csv, encoding):
    rows = lines(20)
    (want,) = cohort.Registry(registry.path.with_name("u8.duckdb")).load(
        write_csv("u8.csv", rows))
    (result,) = registry.load(write_csv(f"{encoding}.csv", rows, encoding=encoding))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (20, 20, 0)
    got = registry.sql("select * exclude (load_id) from raw_cases order by record_no").rows()
    ref = cohort.Registry(registry.path.with_name("u8.duckdb")).sql(
        "select * exclude (load_id) from raw_cases order by record_no").rows()
    assert got == ref and want.rows_loaded == 20


def test_utf16_xml_is_refused_clearly(registry, tmp_path):
    path = tmp_path / "u16.xml"
    text = (FIXTURES / "synthetic-data_naaccr-180-incidence_10-tumors.xml").read_text()
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16-LE text; NAACCR XML and fixed-width files "
                       "must be UTF-8 or ASCII"):
        registry.load(path)


@pytest.mark.parametrize("every", [2, 7])
def test_mixed_crlf_and_lf_line_endings_load(registry, tmp_path, every):
    rows = [HEADER, *lines(30)]
    path = tmp_path / "mixed.csv"
    path.write_bytes("".join(r + ("\r\n" if i % every == 0 else "\n")
                             for i, r in enumerate(rows)).encode())
    (result,) = registry.load(path)
    assert (result.rows_read, result.rows_loaded) == (30, 30)
    assert registry.sql("select count(*) from raw_cases where surv_months_code = '0060'"
                        ).item() == 30


@pytest.mark.parametrize("damage", ["footer", "truncate", "pages"])
def test_corrupt_parquet_is_named_not_out_of_buffer(loaded, tmp_path, damage):
    reg, before = loaded
    path = tmp_path / "x.parquet"
    src = cohort.synth.write(tmp_path / "s.csv", n=3000, seed=5)
    pl.read_csv(src, infer_schema=False).write_parquet(path, compression="zstd")
    data = bytearray(path.read_bytes())
    if damage == "footer":  # the footer length points outside the file
        data[-8:-4] = (len(data) * 4).to_bytes(4, "little")
    elif damage == "truncate":
        data = data[: len(data) // 2] + data[-40:]
    else:  # the column chunks overwritten
        data[100:len(data) // 2] = bytes([0xA5]) * (len(data) // 2 - 100)
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as err:
        reg.load(path)
    assert "the Parquet file is damaged or truncated" in str(err.value)
    assert "Out of buffer" not in str(err.value).split("(")[0]
    assert snapshot(reg) == before


def test_lock_message_names_the_process_not_a_readonly_flag(loaded, write_csv):
    reg, _ = loaded
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.readline()", str(reg.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        out = run("load", write_csv("later.csv", [record(7)]), "--db", reg.path)
        sql = run("sql", "select 1", "--db", reg.path)
    finally:
        holder.communicate("done\n", timeout=30)
    for res in (out, sql):
        assert res.exit_code == 1
        assert "in use by another process" in res.output and f"PID {holder.pid}" in res.output
        assert "readonly" not in res.output.replace("read-only", "")
        assert "duckdb.org" not in res.output


@pytest.mark.parametrize("command", ["sql", "load"])
def test_db_that_is_a_csv_file(tmp_path, write_csv, command):
    csv = write_csv("notdb.csv", lines(2))
    before = csv.read_bytes()
    args = (["sql", "select 1"] if command == "sql" else ["load", write_csv("x.csv", lines(1))])
    out = run(*args, "--db", csv)
    assert out.exit_code == 1
    assert "is not a registry database: it is a text file (an extract?)" in out.output
    assert "in-memory" not in out.output
    assert csv.read_bytes() == before


def test_ctrl_c_mid_load_tells_which_files_committed(tmp_path, write_csv):
    """A real SIGINT while the second file is being loaded: the first stays
    committed and the message says so; the second is rolled back."""
    a = write_csv("a.csv", lines(3))
    b = write_csv("b.csv", lines(3, start=10))
    c = write_csv("c.csv", lines(3, start=20))
    db = tmp_path / "r.duckdb"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import cohort.load as m
        from cohort.cli import main
        real = m._flag_duplicates
        def interrupt(con, rec, **kw):
            if con.execute("select count(*) from loads").fetchall()[0][0] == 2:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while b.csv loads
            return real(con, rec, **kw)
        m._flag_duplicates = interrupt
        main([{"load"!r}, {str(a)!r}, {str(b)!r}, {str(c)!r}, "--db", {str(db)!r}])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and "Aborted!" not in proc.stderr
    assert "b.csv: not loaded (rolled back; nothing from it was written)" in proc.stderr
    assert "committed before it: a.csv (load 1)" in proc.stderr
    assert "not started: c.csv" in proc.stderr
    files = cohort.Registry(db).sql("select file_name from loads").to_series().to_list()
    assert files == ["a.csv"]


def test_ctrl_c_inside_a_duckdb_query_is_not_query_interrupted(tmp_path, write_csv):
    """SIGINT while DuckDB is executing: DuckDB raises its own 'Query
    interrupted'; the user reads which file was rolled back. (Before
    cohort.interrupts, DuckDB sometimes ran on through repeated SIGINTs.)"""
    a = write_csv("a.csv", lines(3))
    db = tmp_path / "r.duckdb"
    script = textwrap.dedent(
        f"""
        import os, signal, subprocess, sys
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import cohort.load as m
        from cohort.cli import main
        KILLER = (
            "import os, sys, time, signal\\n"
            "pid, marker = int(sys.argv[1]), sys.argv[2]\\n"
            "while not os.path.exists(marker): time.sleep(0.05)\\n"
            "time.sleep(1.0)\\n"
            "for _ in range(12):  # again if a busy machine let the first one land early\\n"
            "    if os.getppid() != pid: break  # it has ended (we were handed on)\\n"
            "    os.kill(pid, signal.SIGINT)\\n"
            "    time.sleep(5)\\n")
        def slow(con, rec, **kw):
            # another process presses Ctrl-C while DuckDB runs a long query
            marker = {str(tmp_path / "started")!r}
            subprocess.Popen([sys.executable, "-c", KILLER, str(os.getpid()), marker],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            open(marker, "w").close()
            con.execute("select count(*) from range(100000000000) as t(x) where x % 7 = 3"
                        ).fetchall()
        m._flag_duplicates = slow
        main(["load", {str(a)!r}, "--db", {str(db)!r}])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 130, proc.stderr
    assert "Query interrupted" not in proc.stderr and "Traceback" not in proc.stderr
    assert "a.csv: not loaded (rolled back" in proc.stderr
    assert not db.exists()  # the interrupted first load leaves no database


def _can_mount_tmpfs() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=1m tmpfs /tmp && echo ok"],
                           capture_output=True, text=True)
    return probe.stdout.strip() == "ok"


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs user namespaces to mount a small tmpfs")
@pytest.mark.parametrize("size_mb", [3, 5, 8])
def test_full_disk_says_so_and_leaves_the_registry_as_it_was(tmp_path, size_mb):
    """The registry on a small tmpfs: the second load runs out of space at
    some stage (staging, writing, committing); the message says the disk is
    full (not 'cannot rollback - no transaction is active') and the first
    load is intact."""
    small = cohort.synth.write(tmp_path / "small.csv", n=300, seed=1)
    big = cohort.synth.write(tmp_path / "big.csv", n=40_000, seed=2)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = {sys.path!r}
        import cohort
        from cohort.cli import main
        reg = cohort.Registry({str(mnt / 'r.duckdb')!r})
        reg.load({str(small)!r})
        before = reg.sql("select count(*) as n from raw_cases")["n"].item()
        try:
            main(["load", {str(big)!r}, "--db", str(reg.path)])
        except SystemExit as exc:
            print("rc", exc.code, flush=True)
        after = reg.sql("select count(*) as n, count(distinct load_id) as l from raw_cases")
        print("counts", before, after.row(0), flush=True)
        """
    )
    proc = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         f"mount -t tmpfs -o size={size_mb}m tmpfs {mnt} && {sys.executable} -c \"$0\"", script],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": ""})
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    if "rc 1" in out:  # ran out of space: said so, and nothing changed
        assert "the disk is full (No space left on device)" in out
        assert "cannot rollback" not in out
        assert "counts 300 (300, 1)" in out, out
    else:  # the load fitted: both files are in
        assert "rc 0" in out and "counts 300 (" in out and ", 2)" in out, out


# -- 4. record numbers that lie ---------------------------------------------------------
def test_blank_and_whitespace_lines_keep_record_and_line_numbers_true(registry, tmp_path):
    path = tmp_path / "blank.csv"
    body = [HEADER, record(1), "", record(2), "   \t ", record(3, site="X504"), "", "",
            record(4), "3,00,2,065", record(5)]
    path.write_text("\n".join(body) + "\n")
    (result,) = registry.load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 4, 2)
    assert result.blank_lines == 4
    assert "4 blank lines skipped" in result.summary()
    rejects = registry.sql("select record_no, line_no, field from rejects order by record_no")
    # record 3 sits on line 6; the truncated record 5 on line 10: one row each
    assert rejects.rows() == [(3, 6, "primary_site"), (5, 10, "dx_date")]
    loaded = registry.sql("select patient_id, record_no from raw_cases order by record_no")
    assert loaded.rows() == [("1", 1), ("2", 2), ("4", 4), ("5", 6)]
    summary = registry.sql("select blank_lines, accounted from load_summary").row(0)
    assert summary == (4, True)


def test_record_numbers_with_leading_blank_lines_and_multiline_quotes(registry, tmp_path):
    path = tmp_path / "quoted.csv"
    header = HEADER + ",comment"
    body = ["", "  ", header, record(1) + ',"two\nlines"', record(2, dx="20151345") + ",x",
            record(3) + ',"a\n\nb"', "", record(4, site="X504") + ",y"]
    path.write_text("\n".join(body) + "\n")
    (result,) = registry.load(path, keep_items=["comment"])
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert result.blank_lines == 3
    rejects = registry.sql("select record_no, line_no from rejects order by record_no").rows()
    assert rejects == [(2, 6), (4, 11)]
    assert registry.sql("select extra['comment'] from raw_cases order by record_no"
                        ).to_series().to_list() == ["two\nlines", "a\n\nb"]


def test_whitespace_only_line_is_not_27_rejects(registry, tmp_path):
    path = tmp_path / "ws.csv"
    path.write_text("\n".join([HEADER, record(1), "     ", record(2)]) + "\n")
    (result,) = registry.load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 2, 0)
    assert registry.sql("select count(*) from rejects").item() == 0
    assert result.blank_lines == 1


def test_record_numbers_never_exceed_records_read(registry, tmp_path):
    """The review saw numbers up to 223 for 219 records read."""
    rng = random.Random(4)
    body = [HEADER]
    n = 0
    for i in range(219):
        body.append(record(i + 1, pos=rng.choice(["05", "05", "AB"])))
        n += 1
        if rng.random() < 0.02:
            body.append(rng.choice(["", " ", "\t", "  \r"]))
    path = tmp_path / "r.csv"
    path.write_text("\n".join(body) + "\n")
    (result,) = registry.load(path)
    assert result.rows_read == 219
    nums = registry.sql("select record_no from raw_cases union all "
                        "select distinct record_no from rejects order by 1").to_series()
    assert nums.to_list() == list(range(1, 220))
    # every line number points at the record's own line
    text_lines = path.read_text().split("\n")
    for rec, line in registry.sql("select record_no, line_no from rejects").rows():
        assert text_lines[line - 1].startswith(f"{rec},")


def test_whole_file_crc_is_checked_even_when_the_head_is_fine(loaded, tmp_path):
    """The old check read only the first 64 KB."""
    reg, before = loaded
    text = "\n".join([HEADER, *lines(5000)]) + "\n"
    raw = zlib.compressobj(6, zlib.DEFLATED, 31)
    data = bytearray(raw.compress(text.encode()) + raw.flush())
    data[-6] ^= 0x01  # the CRC in the trailer
    path = tmp_path / "late.csv.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="CRC-32 check fails"):
        reg.load(path)
    assert snapshot(reg) == before

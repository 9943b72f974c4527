"""The NETtalk corpus loader and the CMUdict substitute aligned by EM."""

from __future__ import annotations

import io

import pytest

from backprop import datafiles as cache
from backprop.papers.sejnowski1987 import cmudict_aligned, dictionary as nettalk_data
from backprop.datafiles import DataFileError, DataFileMissing
from backprop.papers.sejnowski1987.dictionary import DataError, Lexicon

HAVE_NETTALK = nettalk_data.available()
CORPUS_FILE = nettalk_data.find_file("nettalk.data", download=False) if HAVE_NETTALK else None
needs_nettalk = pytest.mark.skipif(not HAVE_NETTALK, reason="the NETtalk files are not in a data folder")


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """A data folder that is the only place searched (no shared folder, no user cache)."""
    root = tmp_path / "data"
    (root / "nettalk").mkdir(parents=True)
    monkeypatch.setattr(cache, "search_path", lambda: [root])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return root


# --- NETtalk -------------------------------------------------------------------------

@needs_nettalk
def test_dictionary_and_word_list():
    dictionary, top = nettalk_data.load(download=False)
    assert len(dictionary) == 19_801 and dictionary.n_letters() == 145_647
    assert len(nettalk_data.read_dictionary(unique=False)) == nettalk_data.N_ENTRIES
    assert len(top) == 1000 and top[:4] == ["the", "of", "and", "to"] and top[-1] == "anode"
    train = dictionary.lookup(top)
    assert train.n_letters() == 5438
    assert dictionary.lookup(["box"]).phonemes == ("baX",)
    assert len(dictionary.without(top)) == 18_801


def test_a_truncated_file_is_an_error_naming_it(data_root):
    (data_root / "nettalk" / "nettalk.data").write_text("aback\txb@k-\t0>1<<\t0\n")
    with pytest.raises(DataFileError, match=r"nettalk\.data is truncated: 20 bytes, expected 540,840"):
        nettalk_data.read_dictionary()
    with pytest.raises(DataFileError, match="truncated"):
        nettalk_data.available()  # a damaged file is an error, not a reason to fall back


def test_a_corrupt_file_of_the_right_size_is_an_error_naming_it(data_root):
    path = data_root / "nettalk" / "nettalk.list"
    path.write_bytes(b"x" * nettalk_data.FILES["nettalk.list"].size)
    with pytest.raises(DataFileError, match=rf"{path} is corrupt: its sha256 is"):
        nettalk_data.read_top1000()


def test_missing_files_without_download_name_the_places_and_the_licence(data_root):
    assert not nettalk_data.available()
    with pytest.raises(DataFileMissing, match=r"nettalk/nettalk\.data not found.*non-commercial"):
        nettalk_data.find_file("nettalk.data", download=False)


def test_unchecked_parse_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "nettalk.data"
    bad.write_text("aback\txb@k-\t0>1<<\t0\nabacus\t@bxkx\t1<0>0<\t0\n")
    with pytest.raises(DataError, match=r"nettalk\.data, corpus line 2: 'abacus' has 6 letters, 5 phonemes"):
        nettalk_data.read_dictionary(bad, check=False)
    short = tmp_path / "short.data"
    short.write_text("aback\txb@k-\t0>1<<\t0\n")
    with pytest.raises(DataError, match="has 1 entries, expected 20007: the file is truncated"):
        nettalk_data.read_dictionary(short, check=False)
    words = tmp_path / "nettalk.list"
    words.write_text("A note (by someone).\n(THE OF AND)\n")
    with pytest.raises(DataError, match="found 3 words in the parenthesised list, expected 1000"):
        nettalk_data.read_top1000(words, check=False)


def test_the_uci_header_is_dropped():
    text = "Copyright 1988\nsome notice\n\naback\txb@k-\t0>1<<\t0\nabacus\t@bxkxs\t1<0>0<\t0\n"
    assert nettalk_data._body(text) == "aback\txb@k-\t0>1<<\t0\nabacus\t@bxkxs\t1<0>0<\t0\n"


@needs_nettalk
def test_download_is_checked_and_kept_without_its_header(data_root, monkeypatch):
    corpus = nettalk_data.FILES["nettalk.data"]
    body = CORPUS_FILE.read_bytes()
    served = {"payload": b"NETtalk corpus, copyright 1988 Terrence J. Sejnowski\n\n" + body}
    monkeypatch.setattr(nettalk_data.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(served["payload"]))
    path = nettalk_data.find_file("nettalk.data")
    assert path == cache.user_cache() / corpus.name and path.read_bytes() == body
    path.unlink()
    served["payload"] = body[:-100]
    with pytest.raises(DataError, match="failed its check"):
        nettalk_data.find_file("nettalk.data")
    assert not path.exists() and not list(path.parent.glob("*.part"))


def test_lexicon_operations():
    lex = Lexicon(("the", "box"), ("D-x", "baX"), (">>0", ">1<"), "test")
    assert lex.lookup(["box"]).phonemes == ("baX",)
    assert len(lex + lex) == 4 and lex.without(["the"]).words == ("box",)
    with pytest.raises(KeyError, match="1 word\\(s\\) not in test: cat"):
        lex.lookup(["cat"])
    with pytest.raises(DataError, match="'cat' has 3 letters"):
        Lexicon(("cat",), ("k@",), ("1<<",), "test")


# --- CMUdict, aligned by EM -------------------------------------------------------------

def test_arpabet_to_nettalk_symbols():
    assert cmudict_aligned.units_of(["B", "AA1", "K", "S"]) == ("bak" + "s", " 1  ")
    assert cmudict_aligned.units_of(["AH0", "B", "AH1", "T"]) == ("xb^t", "0 1 ")
    from backprop.papers.sejnowski1987 import nettalk

    assert set(cmudict_aligned.UNITS) <= set(nettalk.SYMBOLS)  # every unit has an output code


def test_stress_and_syllable_boundaries():
    # "water" w c t - R: the t starts the second syllable (maximal onset)
    assert cmudict_aligned.stress_string("wct-R", [(0,), (1,), (2,), None, (3,)], " 1 0") == ">1>>0"
    # "abstract" @ b s t r @ k t: "str" is a legal onset, "bstr" is not
    assert cmudict_aligned.stress_string("@bstr@kt", [(i,) for i in range(8)], "1    2  ") == "1<>>>2<<"


@pytest.fixture(scope="module")
def small_cmudict():
    return cmudict_aligned.load(2000)


def test_em_alignment_gives_one_symbol_per_letter(small_cmudict):
    lex = small_cmudict
    assert 1900 <= len(lex) <= 2000 and lex.words[0] == "the"
    aligned = dict(zip(lex.words, lex.phonemes))
    assert aligned["the"] == "D-x"
    assert aligned["box"] == "baX"          # k s merged into X on the x
    assert aligned["people"] == "pi-pL-"    # AH0 L merged into the syllabic L
    assert aligned["know"] == "-no-"        # the silent k and w
    assert all(len(w) == len(p) == len(s) for w, p, s in zip(lex.words, lex.phonemes, lex.stress))


@needs_nettalk
def test_em_alignment_agrees_with_nettalk_on_shared_words(small_cmudict):
    a = cmudict_aligned.agreement(small_cmudict, nettalk_data.load(download=False)[0])
    assert a["shared"] > 1000
    assert a["same_alignment"] > 0.75 and a["letters_agree"] > 0.9 and a["silent_agree"] > 0.9


def test_auto_falls_back_to_cmudict_without_the_files(data_root, small_cmudict):
    from backprop.papers.sejnowski1987 import nettalk

    name, dictionary, top = nettalk.load_corpus("auto", dictionary_size=2000)
    assert name == "cmudict" and dictionary is small_cmudict and top == list(dictionary.words[:1000])

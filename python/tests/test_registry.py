"""churnlib.ModelRegistry: versions, stages, integrity, and registration from several processes
at once (the acceptance test: no lost version, no duplicate, no torn index)."""

import hashlib
import json
import multiprocessing
import os
import pickle

import numpy as np
import pandas as pd
import pytest

import churnlib as cl


def envelope(payload, kind="Dummy", version="1.0"):
    """A small churnlib envelope as JSON text."""
    return json.dumps({"format": "churnlib", "version": version, "kind": kind, "params": {},
                       "state": {"payload": payload}})


class Doc:
    """Any object with to_json() is registrable."""

    def __init__(self, payload):
        self.payload = payload

    def to_json(self):
        return envelope(self.payload)

    @classmethod
    def from_json(cls, text):
        return cls(json.loads(text)["state"]["payload"])


def tiny_data(seed=0, n=80):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


# ---- the acceptance test: concurrent registration -------------------------------------------

def _register_many(root, worker, count, barrier):
    reg = cl.ModelRegistry(root)
    barrier.wait()  # start together, to overlap as much as possible
    versions = []
    for i in range(count):
        versions.append(reg.register(Doc(worker * 10_000 + i), "churn",
                                     tags={"worker": str(worker), "i": str(i)}))
        reg.list("churn")  # readers beside the writers never see a torn index
    return versions


def test_concurrent_processes_lose_no_version(tmp_path):
    workers, count = 4, 30
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(workers)
        with ctx.Pool(workers) as pool:
            results = pool.starmap(_register_many,
                                   [(str(tmp_path), w, count, barrier) for w in range(workers)])
    returned = [v for vs in results for v in vs]
    assert sorted(returned) == list(range(1, workers * count + 1))  # distinct, no gap
    for vs in results:
        assert vs == sorted(vs)  # each process saw its versions increase
    reg = cl.ModelRegistry(tmp_path)
    df = reg.list("churn")
    assert df["version"].tolist() == list(range(1, workers * count + 1))
    # every registration is there once, with its own tags, and its file matches the index
    payloads = set()
    for row in df.itertuples():
        doc = reg.load("churn", row.version, loader=Doc.from_json)
        w, i = divmod(doc.payload, 10_000)
        assert row.tags == {"worker": str(w), "i": str(i)}
        payloads.add(doc.payload)
        with open(reg.path("churn", row.version), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == row.sha256
    assert payloads == {w * 10_000 + i for w in range(workers) for i in range(count)}
    index = json.loads((tmp_path / "registry.json").read_text())  # valid JSON: not torn
    assert index["kind"] == "ModelRegistry"
    assert index["state"]["models"]["churn"]["next_version"] == workers * count + 1
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]


# ---- real models --------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [cl.GBDTClassifier, cl.LogisticRegression])
def test_a_real_model_round_trips_bit_identically(tmp_path, cls):
    X, y = tiny_data()
    model = cls(n_estimators=5) if cls is cl.GBDTClassifier else cls()
    model.fit(X, y)
    reg = cl.ModelRegistry(tmp_path / "reg")
    v = reg.register(model, "churn", tags={"algo": cls.__name__}, description="tiny")
    assert v == 1
    back = reg.load("churn", v, loader=cls.from_json)
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    back = reg.load("churn")  # the default loader picks the class from the document's kind
    assert type(back) is cls
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    assert reg.load_document("churn") == model.to_json()
    row = reg.list("churn").iloc[0]
    assert row["kind"] == cls.__name__ and row["description"] == "tiny"
    assert row["tags"] == {"algo": cls.__name__}


def test_unknown_kinds_need_a_loader(tmp_path):
    reg = cl.ModelRegistry(tmp_path)
    reg.register(Doc(1), "m")
    with pytest.raises(cl.InvalidArgument, match="no class of this churnlib loads a 'Dummy'"):
        reg.load("m")
    assert reg.load("m", loader=Doc.from_json).payload == 1
    assert reg.load("m", loader=json.loads)["state"]["payload"] == 1


# ---- versions, listing, stages ---------------------------------------------------------------

def test_versions_list_and_resolve(tmp_path):
    reg = cl.ModelRegistry(tmp_path)
    assert reg.names() == []
    empty = reg.list()
    assert len(empty) == 0 and "version" in empty.columns
    assert [reg.register(Doc(i), "a") for i in range(3)] == [1, 2, 3]
    assert reg.register(envelope(9, kind="Other"), "b.v2_x-1") == 1  # text registers too
    assert reg.names() == ["a", "b.v2_x-1"]
    df = reg.list()
    assert list(df.columns) == ["name", "version", "stage", "created_at", "kind",
                                "format_version", "tags", "description", "size", "sha256",
                                "file"]
    assert df["name"].tolist() == ["a", "a", "a", "b.v2_x-1"]
    assert df["version"].tolist() == [1, 2, 3, 1]
    assert str(df["created_at"].dt.tz) == "UTC"
    assert (pd.Timestamp.now(tz="UTC") - df["created_at"]).max() < pd.Timedelta(minutes=10)
    assert df["kind"].tolist() == ["Dummy"] * 3 + ["Other"]
    assert df["file"].iloc[1] == "a/v2.json"
    assert reg.resolve("a") == 3 and reg.resolve("a", "latest") == 3
    assert reg.resolve("a", 2) == 2 and reg.resolve("a", np.int64(1)) == 1
    assert reg.path("a", 2) == os.path.join(str(tmp_path), "a", "v2.json")
    assert reg.load("a", 2, loader=Doc.from_json).payload == 1
    os.remove(reg.path("a", 3))  # a deleted file does not free its number
    assert reg.register(Doc(3), "a") == 4
    assert repr(reg) == f"ModelRegistry({str(tmp_path)!r})"
    assert pickle.loads(pickle.dumps(reg)).list("a")["version"].tolist() == [1, 2, 3, 4]


def test_stages(tmp_path):
    reg = cl.ModelRegistry(tmp_path)
    for i in range(4):
        reg.register(Doc(i), "m")
    reg.set_stage("m", 2, "production")
    reg.set_stage("m", 3, "staging")
    assert reg.resolve("m", "production") == 2
    assert reg.load("m", "staging", loader=Doc.from_json).payload == 2
    reg.set_stage("m", 4, "production")  # archives version 2
    assert reg.list("m")["stage"].tolist() == ["none", "archived", "staging", "production"]
    assert reg.resolve("m", "production") == 4
    reg.set_stage("m", 4, "archived")
    with pytest.raises(cl.InvalidArgument, match="no version of 'm' is in stage 'production'"):
        reg.load("m", "production")
    with pytest.raises(cl.InvalidArgument, match="stage must be one of"):
        reg.set_stage("m", 1, "prod")
    assert cl._registry.STAGES == ("none", "staging", "production", "archived")


# ---- errors ---------------------------------------------------------------------------------

def test_missing_things_are_clear_errors(tmp_path):
    reg = cl.ModelRegistry(tmp_path)
    with pytest.raises(cl.InvalidArgument, match="no model 'x'.*holds no models"):
        reg.load("x")
    reg.register(Doc(1), "a")
    reg.register(Doc(1), "b")
    with pytest.raises(ValueError, match=r"no model 'c'.*models: a, b"):
        reg.list("c")
    with pytest.raises(cl.InvalidArgument, match=r"'a' has no version 5 \(versions: 1 \(none\)\)"):
        reg.load_document("a", 5)
    with pytest.raises(cl.InvalidArgument, match="has no version 5"):
        reg.set_stage("a", 5, "staging")
    with pytest.raises(cl.InvalidArgument, match="'latest', a version number"):
        reg.resolve("a", "newest")
    with pytest.raises(cl.InvalidArgument, match=">= 1"):
        reg.resolve("a", 0)
    with pytest.raises(cl.TypeMismatch, match="version must be"):
        reg.resolve("a", 1.5)
    with pytest.raises(cl.TypeMismatch, match="version must be"):
        reg.resolve("a", True)


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ".hidden", "", "a b", "registry.json",
                                  "x" * 129])
def test_invalid_names_are_refused(tmp_path, name):
    reg = cl.ModelRegistry(tmp_path / "reg")
    with pytest.raises(cl.InvalidArgument, match="model name"):
        reg.register(Doc(1), name)
    with pytest.raises(cl.InvalidArgument, match="model name"):
        reg.load_document(name)
    assert not (tmp_path / "evil").exists()


def test_bad_arguments_are_type_errors(tmp_path):
    reg = cl.ModelRegistry(tmp_path)
    with pytest.raises(cl.TypeMismatch, match="to_json"):
        reg.register(object(), "m")
    with pytest.raises(cl.TypeMismatch, match="tags"):
        reg.register(Doc(1), "m", tags={"auc": [0.8]})
    with pytest.raises(cl.TypeMismatch, match="tags"):
        reg.register(Doc(1), "m", tags=["auc"])
    v = reg.register(Doc(1), "m", tags={"auc": np.float64(0.8125), "n": 3})  # numbers as text
    assert reg.list("m")["tags"].iloc[v - 1] == {"auc": "0.8125", "n": "3"}
    with pytest.raises(TypeError, match="name must be a str"):
        reg.register(Doc(1), 3)
    with pytest.raises(TypeError, match="root"):
        cl.ModelRegistry(None)
    reg.register(Doc(1), "m")
    with pytest.raises(cl.TypeMismatch, match="loader must be callable"):
        reg.load("m", loader="json")


def test_newer_versions_are_refused(tmp_path):
    reg = cl.ModelRegistry(tmp_path)
    with pytest.raises(cl.SerializationError, match="version 2.0 is newer.*upgrade churnlib"):
        reg.register(envelope(1, version="2.0"), "m")
    with pytest.raises(cl.SerializationError, match="not valid JSON"):
        reg.register("{not json", "m")
    with pytest.raises(cl.SerializationError, match="not a churnlib file"):
        reg.register('{"format": "other"}', "m")
    assert reg.names() == []  # nothing was registered
    # a bundle a newer churnlib registered (index updated to match): refused on load
    reg.register(Doc(1), "m")
    newer = envelope(1, version="3.1")
    with open(reg.path("m", 1), "w") as f:
        f.write(newer)
    index = json.loads((tmp_path / "registry.json").read_text())
    entry = index["state"]["models"]["m"]["versions"][0]
    entry["size"], entry["sha256"] = len(newer), hashlib.sha256(newer.encode()).hexdigest()
    (tmp_path / "registry.json").write_text(json.dumps(index))
    with pytest.raises(cl.SerializationError, match=r"v1\.json.*version 3.1 is newer"):
        reg.load("m", loader=Doc.from_json)
    # a newer index
    index["version"] = "2.0"
    (tmp_path / "registry.json").write_text(json.dumps(index))
    with pytest.raises(cl.SerializationError, match=r"registry\.json.*version 2.0 is newer"):
        reg.names()
    with pytest.raises(cl.SerializationError, match=r"registry\.json"):
        reg.register(Doc(2), "m")


def test_damaged_files_are_serialization_errors(tmp_path):
    reg = cl.ModelRegistry(tmp_path)
    reg.register(Doc(1), "m")
    path = reg.path("m")
    text = open(path).read()
    with open(path, "w") as f:
        f.write(text.replace('"payload": 1', '"payload": 7').replace('"payload":1', '"payload":7'))
    with pytest.raises(cl.SerializationError, match=r"v1\.json.*is damaged or was changed"):
        reg.load_document("m")
    index = (tmp_path / "registry.json").read_text()
    (tmp_path / "registry.json").write_text(index[: len(index) // 2])
    with pytest.raises(cl.SerializationError, match=r"registry\.json.*not valid JSON"):
        reg.list()
    with pytest.raises(cl.SerializationError):
        reg.register(Doc(2), "m")
    assert not os.path.exists(os.path.join(tmp_path, "m", "v2.json"))


def test_signatures_and_top_level_export():
    import inspect

    assert cl.ModelRegistry is cl._registry.ModelRegistry
    assert "ModelRegistry" in cl.__all__
    params = list(inspect.signature(cl.ModelRegistry.register).parameters)
    assert params == ["self", "model", "name", "tags", "description"]
    assert list(inspect.signature(cl.ModelRegistry.load).parameters) == \
        ["self", "name", "version", "loader"]
    assert "Parameters" in cl.ModelRegistry.load.__doc__

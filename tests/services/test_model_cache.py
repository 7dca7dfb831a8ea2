"""The warm model cache evicts least-recently-used models under its budget."""

from studio.services.model_cache import ModelCache, model_size_bytes


def test_lru_eviction_under_budget():
    cache = ModelCache(budget_bytes=100)
    loads: list[str] = []

    def loader(name):
        return lambda: loads.append(name) or name

    cache.get("a", loader("a"), 40)
    cache.get("b", loader("b"), 40)
    cache.get("a", loader("a"), 40)  # hit: a becomes most recent
    cache.get("c", loader("c"), 40)  # needs room: evicts b, the least recent
    assert loads == ["a", "b", "c"]
    assert cache.keys() == ["a", "c"]
    assert cache.evictions == ["b"]
    assert cache.used_bytes == 80


def test_model_bigger_than_budget_still_loads_alone():
    cache = ModelCache(budget_bytes=50)
    cache.get("small", lambda: 1, 20)
    assert cache.get("huge", lambda: 2, 80) == 2
    assert cache.keys() == ["huge"]


def test_unlimited_budget_and_clear():
    cache = ModelCache()
    for i in range(5):
        cache.get(str(i), lambda i=i: i, 10**12)
    assert len(cache) == 5
    cache.clear()
    assert len(cache) == 0 and cache.used_bytes == 0


def test_size_measured_from_torch_module():
    import torch

    module = torch.nn.Linear(10, 10)  # 110 float32 parameters
    assert model_size_bytes(module) == 110 * 4
    cache = ModelCache()
    cache.get("lin", lambda: module)
    assert cache.used_bytes == 440


def test_lowering_the_budget_evicts_at_once():
    cache = ModelCache(budget_bytes=100)
    cache.get("a", lambda: 1, 40)
    cache.get("b", lambda: 2, 40)
    cache.budget_bytes = 50
    cache.fit()
    assert cache.keys() == ["b"]

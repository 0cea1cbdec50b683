"""Generators, coroutines and async generators: suspension inside rewritten
expressions, send/throw/close, frames and their locals."""

import asyncio
import types


class Acc:
    def __init__(self):
        self.items = []
        self.total = 0
        self.d = {"n": 0}


acc = Acc()


def gen(n):
    for i in range(n):
        acc.items.append((yield acc.total))
        acc.total += i
        acc.d["n"] += (yield i)
    return acc.total


g = gen(3)
print(next(g), g.send("a"), g.send(10), g.send("b"))
print(sorted(g.gi_frame.f_locals), g.gi_code.co_varnames)
try:
    while True:
        g.send(1)
except StopIteration as e:
    print("return", e.value, acc.items, acc.d)


def thrower():
    try:
        yield acc.d["n"]
    except ValueError as e:
        acc.d["caught"] = str(e)
        yield acc.d.get("caught")
    finally:
        acc.items.append("finally")


t = thrower()
print(next(t), t.throw(ValueError("boom")))
t.close()
print(acc.items[-1])


def simple(n):
    for i in range(n):
        acc.items.append((yield acc.d["n"] + i))
    return len(acc.items)


def delegating():
    r = yield from simple(2)
    acc.d["yf"] = r
    return acc.d["yf"]


print(list(delegating()), acc.d["yf"])
try:
    list(gen(2))
except TypeError:
    import traceback
    print(traceback.format_exc())
gexp = (acc.d[k] for k in sorted(acc.d) if k != "caught")
print(type(gexp).__name__, sorted(gexp.gi_frame.f_locals), list(gexp))


async def coro(x):
    await asyncio.sleep(0)
    acc.d["coro"] = x
    acc.total += x
    return acc.d["coro"] * 2


async def agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        acc.items.append(i)
        yield acc.items[-1]


async def main():
    r = await coro(5)
    out = [x async for x in agen(3)]
    async with Ctx() as c:
        c.used = True
    results = await asyncio.gather(coro(1), coro(2))
    return r, out, c.used, results, sorted(locals())


class Ctx:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


print(asyncio.run(main()))


@types.coroutine
def legacy():
    v = yield "suspended"
    acc.d["legacy"] = v
    return v


async def uses_legacy():
    return await legacy()


c = uses_legacy()
print(c.send(None), sorted(c.cr_frame.f_locals))
try:
    c.send(42)
except StopIteration as e:
    print("legacy", e.value, acc.d["legacy"])
print(acc.total, acc.d)

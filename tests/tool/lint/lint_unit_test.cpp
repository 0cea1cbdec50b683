// Unit tests of the linter's small pieces: rule selection, .gitignore globs, the lock-name
// heuristic, baseline fingerprints. (Suppression comments: tests/tool/suppress/ignore_comment_test.cpp.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "tool/lint/baseline.h"
#include "tool/lint/driver.h"
#include "tool/lint/extract.h"
#include "tool/lint/facts_cache.h"
#include "tool/lint/files.h"
#include "tool/lint/project.h"
#include "tool/lint/source.h"
#include "tool/render/sarif.h"

namespace pyrace::lint {
namespace {

// The npm grammar is generated for ABI 14; Debian's libtree-sitter 0.20.7 accepts 13-14.
TEST(Grammar, Abi14WorksWithTheSystemLibrary) {
  EXPECT_EQ(ts_language_version(PythonLanguage()), 14u);
  EXPECT_LE(ts_language_version(PythonLanguage()), static_cast<uint32_t>(TREE_SITTER_LANGUAGE_VERSION));
  Source src("t.py", "def f[T](x: T) -> T:\n    match x:\n        case [a, *_]:\n            return a\n");
  ASSERT_TRUE(src.Parse());
  EXPECT_TRUE(src.SyntaxErrors().empty());
  EXPECT_TRUE(Is<"function_definition">(NamedChild(src.root(), 0)));
}

// The flat tree is what tree-sitter's node API sees: the same nodes in the same order,
// with the same positions, and the child each field names found as
// ts_node_child_by_field_id finds it (fields inherited through hidden rules included).
// One difference: through a hidden rule aliased to a visible node, the node API also
// answers a field of the alias's children (`match_statement.alternative` is a case_clause
// inside its body block); the flat tree keeps each field on the node it is a child of.
void ExpectSameTree(TSNode t, Node n, const Source& src, std::set<std::string>* grandchild_fields) {
  ASSERT_FALSE(n.IsNull()) << ts_node_type(t);
  EXPECT_EQ(ts_node_symbol(t), n.Symbol()) << ts_node_type(t);
  EXPECT_EQ(ts_node_start_byte(t), n.StartByte()) << ts_node_type(t);
  EXPECT_EQ(ts_node_end_byte(t), n.EndByte()) << ts_node_type(t);
  EXPECT_EQ(ts_node_start_point(t).row, n->start_row);
  EXPECT_EQ(ts_node_start_point(t).column, n->start_col);
  EXPECT_EQ(ts_node_end_point(t).row, n->end_row);
  EXPECT_EQ(ts_node_end_point(t).column, n->end_col);
  EXPECT_EQ(ts_node_is_named(t), static_cast<bool>(n->named));
  EXPECT_EQ(ts_node_named_child_count(t), NamedCount(n)) << ts_node_type(t);
  const uint32_t fields = ts_language_field_count(PythonLanguage());
  for (TSFieldId f = 1; f <= fields; ++f) {
    TSNode want = ts_node_child_by_field_id(t, f);
    Node got = FieldChild(n, f);
    const std::string name = std::string(ts_node_type(t)) + "." + ts_language_field_name_for_id(PythonLanguage(), f);
    if (!ts_node_is_null(want) && !ts_node_eq(ts_node_parent(want), t)) {
      EXPECT_TRUE(got.IsNull()) << name;
      grandchild_fields->insert(name);
      continue;
    }
    ASSERT_EQ(ts_node_is_null(want), got.IsNull()) << name;
    if (!got.IsNull()) {
      EXPECT_EQ(ts_node_start_byte(want), got.StartByte());
      EXPECT_EQ(ts_node_symbol(want), got.Symbol());
      EXPECT_EQ(got.Parent(), n);
    }
  }
  Node c = n.FirstChild();
  for (uint32_t i = 0; i < ts_node_child_count(t); ++i, c = c.NextSibling()) {
    ASSERT_FALSE(c.IsNull()) << ts_node_type(t) << " child " << i;
    EXPECT_EQ(c.Parent(), n);
    ExpectSameTree(ts_node_child(t, i), c, src, grandchild_fields);
  }
  EXPECT_TRUE(c.IsNull()) << ts_node_type(t) << " has more flat children";
}

TEST(FlatTree, MatchesTheNodeApi) {
  const std::string text =
      "import a.b as c, d\nfrom .x import (y, z as w)\n@dec\nclass C(B, metaclass=M):\n"
      "    x: int = 1\n    def m(self, a, /, b=2, *args, c: int = 3, **kw) -> None:\n"
      "        with self.l as (p, q), open(f) as g:\n            self.n += 1; del p[0]\n"
      "        for i, j in enumerate(k):\n            if not (v := i): break\n"
      "            elif j: continue\n            else: pass\n        else:\n            y = [t for t in u if t]\n"
      "        try:\n            raise E from None\n        except* (A, B) as e:\n            pass\n"
      "        except: ...\n        finally:\n            return lambda *a, k=1: (yield a)\n"
      "async def f(x):\n    async with a: await b\n    match x:\n        case {'k': [1, *r]} | None if r: pass\n"
      "        case P(a=1): pass\n        case _: pass\n"
      "    global g; nonlocal h\n    print(f'{x!r:>{w}}', *a, **k); assert x, 'm'\n"
      "    return x if y else z, not a or b and c < d <= e is not f in g\n"
      "def broken(:\n    pass\n";
  Source src("t.py", text);
  ASSERT_TRUE(src.Parse());
  TSParser* parser = ts_parser_new();
  ASSERT_TRUE(ts_parser_set_language(parser, PythonLanguage()));
  TSTree* tree = ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
  std::set<std::string> grandchild_fields;
  ExpectSameTree(ts_tree_root_node(tree), src.root(), src, &grandchild_fields);
  EXPECT_EQ(grandchild_fields, (std::set<std::string>{"match_statement.alternative"}));
  EXPECT_EQ(src.Text(Field<"name">(NamedChild(src.root(), 3))), "f");
  ts_tree_delete(tree);
  ts_parser_delete(parser);
}

// A cache entry holds every fact: facts read back serialize to the same bytes, and an
// entry cut short or followed by junk is refused.
TEST(FactsCache, RoundTripAndDamage) {
  const std::string text =
      "import threading, queue\nfrom concurrent.futures import ThreadPoolExecutor\n"
      "lock = threading.Lock()\ncond = threading.Condition(lock)\nq = queue.Queue(3)\ncount = 0\n"
      "class W(threading.Thread):\n    def __init__(self):\n        self._l = threading.RLock()\n"
      "        self.nw = Other()\n    def run(self):\n        global count\n        with self._l:\n"
      "            count += 1\n            self.nw.items.append(1)\n            q.put(1)\n"
      "            self.helper()\n    def helper(self):\n        lock.acquire()\n        if count:\n"
      "            return\n        lock.release()\n        lock.release()\n        with cond:\n"
      "            cond.wait()\n        cond.notify()\n"
      "def main():\n    t = threading.Thread(target=W().run)\n    t.start(); t.join()\n"
      "    with ThreadPoolExecutor() as ex:\n        fut = ex.submit(main)\n        fut.result()\n"
      "    lock.acquire(); lock.acquire()\n";
  Source src("pkg/mod.py", text);
  ASSERT_TRUE(src.Parse());
  FileFacts facts;
  facts.path = "pkg/mod.py";
  ExtractFile(src, "pkg.mod", facts);
  const std::string bytes = FactsCache::Serialize(facts, 42);
  FileFacts back;
  size_t lines = 0;
  ASSERT_TRUE(FactsCache::Deserialize(bytes, &back, &lines));
  EXPECT_EQ(lines, 42u);
  EXPECT_EQ(FactsCache::Serialize(back, 42), bytes);
  EXPECT_EQ(back.module, "pkg.mod");
  EXPECT_EQ(back.functions.size(), facts.functions.size());
  EXPECT_EQ(back.classes.count("W"), 1u);
  size_t calls = 0, accesses = 0, missed = 0, unheld = 0, doubles = 0, targets = 0, blocking = 0, cond = 0;
  for (const auto& f : back.functions) {
    calls += f.calls.size();
    accesses += f.accesses.size();
    missed += f.missed.size();
    unheld += f.unheld.size();
    doubles += f.doubles.size();
    targets += f.targets.size();
    blocking += f.blocking.size();
    cond += f.cond_ops.size();
  }
  // Every kind of fact is there to be carried.
  EXPECT_GT(calls, 0u);
  EXPECT_GT(accesses, 0u);
  EXPECT_GT(missed, 0u);
  EXPECT_GT(unheld, 0u);
  EXPECT_GT(doubles, 0u);
  EXPECT_GT(targets, 0u);
  EXPECT_GT(blocking, 0u);
  EXPECT_GT(cond, 0u);
  FileFacts bad;
  EXPECT_FALSE(FactsCache::Deserialize(bytes.substr(0, bytes.size() - 1), &bad, &lines));
  EXPECT_FALSE(FactsCache::Deserialize(bytes + "x", &bad, &lines));
  EXPECT_FALSE(FactsCache::Deserialize(std::string(8, '\xff'), &bad, &lines));
}

TEST(Grammar, ContinuationLineDedentInsideBrackets) {
  // Legal Python that tree-sitter-python's scanner mis-tokenizes as written.
  Source src("t.py", "def f():\n    (bar.\nbaz)\n    return 1\n");
  ASSERT_TRUE(src.Parse());
  EXPECT_TRUE(src.SyntaxErrors().empty());
}

TEST(Grammar, RealSyntaxErrorHasItsPosition) {
  Source src("t.py", "x = 1\ndef broken(:\n    pass\n");
  ASSERT_TRUE(src.Parse());
  auto errors = src.SyntaxErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pos.line, 2u);
}

TEST(Selection, CodesPrefixesNames) {
  EXPECT_TRUE(RuleEnabled("PYR001", "missed-release", {}, {}));
  EXPECT_TRUE(RuleEnabled("PYR001", "missed-release", {"PYR0"}, {}));
  EXPECT_FALSE(RuleEnabled("PYR001", "missed-release", {"PYR002"}, {}));
  EXPECT_TRUE(RuleEnabled("PYR001", "missed-release", {"missed-release"}, {}));
  EXPECT_FALSE(RuleEnabled("PYR001", "missed-release", {}, {"PYR001"}));
  EXPECT_FALSE(RuleEnabled("PYR001", "missed-release", {"ALL"}, {"missed-release"}));
}

TEST(Selection, OffByDefaultRunsOnlyWhenSelected) {
  EXPECT_FALSE(RuleEnabled("PYR010", "sleep-under-lock", {}, {}, false));
  EXPECT_TRUE(RuleEnabled("PYR010", "sleep-under-lock", {"PYR010"}, {}, false));
  EXPECT_TRUE(RuleEnabled("PYR010", "sleep-under-lock", {"sleep-under-lock"}, {}, false));
  EXPECT_TRUE(RuleEnabled("PYR010", "sleep-under-lock", {"ALL"}, {}, false));
  EXPECT_FALSE(RuleEnabled("PYR010", "sleep-under-lock", {"ALL"}, {"PYR010"}, false));
}

TEST(Gitignore, Globs) {
  EXPECT_TRUE(GlobMatch("*.py", "a/b/c.py", false));
  EXPECT_TRUE(GlobMatch("build", "build", true));
  EXPECT_TRUE(GlobMatch("build", "src/build", true));
  EXPECT_TRUE(GlobMatch("/build", "build", true));
  EXPECT_FALSE(GlobMatch("/build", "src/build", true));
  EXPECT_TRUE(GlobMatch("docs/*.py", "docs/conf.py", false));
  EXPECT_FALSE(GlobMatch("docs/*.py", "docs/sub/conf.py", false));
  EXPECT_TRUE(GlobMatch("**/gen", "a/b/gen", true));
}

TEST(LockNames, Heuristic) {
  EXPECT_TRUE(LockishName("_lock"));
  EXPECT_TRUE(LockishName("mutex"));
  EXPECT_TRUE(LockishName("_active_limbo_lock"));
  EXPECT_TRUE(LockishName("rlock2"));
  EXPECT_TRUE(LockishName("iolock"));
  EXPECT_TRUE(LockishName("not_empty_cond"));
  EXPECT_FALSE(LockishName("block"));
  EXPECT_FALSE(LockishName("clock"));
  EXPECT_FALSE(LockishName("deadlock_timeout"));
  EXPECT_FALSE(LockishName("unlock"));
  EXPECT_FALSE(LockishName("data"));
}

// run/replay findings have no lint rule: the kind is the rule id and stacks stay stacks.
TEST(Sarif, RunTimeFindingsUseKindsAndStacks) {
  Finding f;
  f.kind = FindingKind::kLockOrderInversion;
  f.message = "lock-order-inversion between L1 and L2";
  f.primary = SourceLocation{"app/main.py", 12, 0, 0, 0, "worker"};
  f.sections.push_back(Section{"Mutex L2 acquired here while holding L1:",
                               {SourceLocation{"app/main.py", 12, 0, 0, 0, "worker"},
                                SourceLocation{"/abs/lib.py", 3, 0, 0, 0, "helper"}}});
  f.fingerprint = "0123456789abcdef";
  std::ostringstream out;
  RenderSarif({f}, out);
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["version"], "2.1.0");
  const auto& run = j["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["rules"][0]["id"], "lock-order-inversion");
  const auto& r = run["results"][0];
  EXPECT_EQ(r["ruleId"], "lock-order-inversion");
  EXPECT_EQ(r["locations"][0]["physicalLocation"]["region"]["startLine"], 12);
  EXPECT_EQ(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"], "%SRCROOT%");
  ASSERT_EQ(r["stacks"][0]["frames"].size(), 2u);
  EXPECT_EQ(r["stacks"][0]["frames"][1]["location"]["physicalLocation"]["artifactLocation"]["uri"], "file:///abs/lib.py");
  EXPECT_EQ(r["partialFingerprints"]["primaryLocationLineHash"], "0123456789abcdef");
}

// Stored baselines hold these values: the version-1 hash must not change.
TEST(Baseline, FingerprintIsTheVersion1Hash) {
  Finding f;
  f.rule = "PYR001";
  f.primary.file = "a.py";
  f.primary.function = "get_value";
  std::vector<Finding> fs{f, f};
  AssignFingerprints(fs, {"    lock.acquire()  ", "\tlock.acquire()\r"});
  EXPECT_EQ(fs[0].fingerprint, "b5ab506ac0d26195:1");
  EXPECT_EQ(fs[1].fingerprint, "b5ab506ac0d26195:2");
}

}  // namespace
}  // namespace pyrace::lint

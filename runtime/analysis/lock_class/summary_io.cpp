// The serialized lock-class summary: one JSON object, the project's one JSON library
// (nlohmann, as the report uses). Arrays of ids rather than objects keep a summary a
// few kilobytes; every id is checked on the way in.
#include <nlohmann/json.hpp>

#include "runtime/analysis/lock_class/summary.h"

namespace pyrace {

namespace {

constexpr const char* kFormatName = "pyrace-lock-classes";
using Json = nlohmann::json;

Json Ids(const std::vector<LockId>& ids) {
  Json a = Json::array();
  for (LockId l : ids) a.push_back(l);
  return a;
}

// Thrown while parsing; caught at the top with everything else the JSON reader throws.
struct BadSummary {
  std::string what;
};

uint32_t Id(const Json& v, size_t limit, const char* what) {
  uint64_t id = v.get<uint64_t>();
  if (id >= limit) throw BadSummary{std::string(what) + " " + std::to_string(id) + " is not defined"};
  return static_cast<uint32_t>(id);
}

}  // namespace

std::string SerializeSummary(const LockClassSummary& s) {
  Json j;
  j["format"] = kFormatName;
  j["version"] = LockClassSummary::kFormatVersion;
  j["process"] = {{"pid", s.process.pid},
                  {"argv", s.process.argv},
                  {"run", s.process.run},
                  {"start_unix_us", s.process.start_unix_us}};
  j["strings"] = s.syms.strings;
  Json stacks = Json::array();
  for (const std::vector<Frame>& frames : s.syms.stacks) {
    Json flat = Json::array();
    for (const Frame& f : frames) {
      flat.push_back(f.file);
      flat.push_back(f.function);
      flat.push_back(f.line);
    }
    stacks.push_back(std::move(flat));
  }
  j["stacks"] = std::move(stacks);
  j["stack_tests"] = s.syms.stack_tests;
  Json threads = Json::array();
  for (const ThreadInfo& t : s.syms.threads) threads.push_back({t.name, t.start_stack});
  j["threads"] = std::move(threads);
  Json locks = Json::array();
  for (size_t i = 0; i < s.syms.locks.size(); ++i) {
    const LockInfo& l = s.syms.locks[i];
    locks.push_back({static_cast<int>(l.kind), l.create_stack, l.name, i < s.instances.size() ? s.instances[i] : 1});
  }
  j["locks"] = std::move(locks);
  Json edges = Json::array();
  for (const LockClassEdge& e : s.edges) {
    Json takers = Json::array();
    for (const EdgeTaker& t : e.takers) {
      takers.push_back({t.tid, t.from_stack, t.to_stack, t.timed ? 1 : 0, Ids(t.also_held)});
    }
    edges.push_back({e.from, e.to, e.count, Ids(e.gate), std::move(takers)});
  }
  j["edges"] = std::move(edges);
  return j.dump() + "\n";
}

bool ParseSummary(std::string_view text, LockClassSummary* out, std::string* error) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("format") || j["format"] != kFormatName) {
    *error = "not a pyrace lock-class summary";
    return false;
  }
  LockClassSummary s;
  try {
    int version = j.at("version").get<int>();
    if (version > LockClassSummary::kFormatVersion || version < 1) {
      *error = "lock-class summary format " + std::to_string(version) + " is not the one this pyrace reads (" +
               std::to_string(LockClassSummary::kFormatVersion) + ")";
      return false;
    }
    const Json& p = j.at("process");
    s.process.pid = p.at("pid").get<uint32_t>();
    s.process.argv = p.at("argv").get<std::vector<std::string>>();
    s.process.run = p.at("run").get<std::string>();
    s.process.start_unix_us = p.at("start_unix_us").get<uint64_t>();
    s.syms.strings = j.at("strings").get<std::vector<std::string>>();
    if (s.syms.strings.empty() || !s.syms.strings[0].empty()) throw BadSummary{"string 0 must be empty"};
    const size_t nstr = s.syms.strings.size();
    s.syms.stacks.clear();
    for (const Json& flat : j.at("stacks")) {
      if (flat.size() % 3 != 0) throw BadSummary{"a stack's frames are not (file, function, line) triples"};
      std::vector<Frame> frames;
      for (size_t i = 0; i < flat.size(); i += 3) {
        frames.push_back(Frame{Id(flat.at(i), nstr, "string"), Id(flat.at(i + 1), nstr, "string"),
                               flat.at(i + 2).get<uint32_t>()});
      }
      s.syms.stacks.push_back(std::move(frames));
    }
    if (s.syms.stacks.empty() || !s.syms.stacks[0].empty()) throw BadSummary{"stack 0 must be empty"};
    const size_t nstack = s.syms.stacks.size();
    for (const Json& t : j.at("stack_tests")) s.syms.stack_tests.push_back(Id(t, nstr, "string"));
    if (s.syms.stack_tests.size() > nstack) throw BadSummary{"more stack tests than stacks"};
    for (const Json& t : j.at("threads")) {
      ThreadInfo info;
      info.name = Id(t.at(0), nstr, "string");
      info.start_stack = Id(t.at(1), nstack, "stack");
      s.syms.threads.push_back(info);
    }
    for (const Json& l : j.at("locks")) {
      LockInfo info;
      int kind = l.at(0).get<int>();
      if (kind < 0 || kind > static_cast<int>(LockKind::kJoinSentinel)) throw BadSummary{"bad lock kind"};
      info.kind = static_cast<LockKind>(kind);
      info.create_stack = Id(l.at(1), nstack, "stack");
      info.name = Id(l.at(2), nstr, "string");
      s.syms.locks.push_back(info);
      // Summaries written before instances were counted have three fields: one each.
      s.instances.push_back(l.size() > 3 ? l.at(3).get<uint32_t>() : 1);
    }
    if (s.syms.locks.empty()) throw BadSummary{"lock 0 (the GIL) is missing"};
    const size_t nlock = s.syms.locks.size(), nthread = s.syms.threads.size();
    for (const Json& e : j.at("edges")) {
      LockClassEdge edge;
      edge.from = Id(e.at(0), nlock, "lock");
      edge.to = Id(e.at(1), nlock, "lock");
      edge.count = e.at(2).get<uint64_t>();
      for (const Json& g : e.at(3)) edge.gate.push_back(Id(g, nlock, "lock"));
      for (const Json& t : e.at(4)) {
        EdgeTaker taker;
        taker.tid = Id(t.at(0), nthread, "thread");
        taker.from_lock = edge.from;
        taker.to_lock = edge.to;
        taker.from_stack = Id(t.at(1), nstack, "stack");
        taker.to_stack = Id(t.at(2), nstack, "stack");
        taker.timed = t.at(3).get<int>() != 0;
        for (const Json& h : t.at(4)) taker.also_held.push_back(Id(h, nlock, "lock"));
        edge.takers.push_back(std::move(taker));
      }
      if (edge.takers.empty()) throw BadSummary{"an edge without a taker"};
      s.edges.push_back(std::move(edge));
    }
  } catch (const BadSummary& bad) {
    *error = "bad lock-class summary: " + bad.what;
    return false;
  } catch (const Json::exception& bad) {
    *error = std::string("bad lock-class summary: ") + bad.what();
    return false;
  }
  *out = std::move(s);
  return true;
}

}  // namespace pyrace

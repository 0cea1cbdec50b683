#include "tool/lint/source.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

extern "C" const TSLanguage* tree_sitter_python();

namespace pyrace::lint {
namespace {

// tree-sitter allocates every subtree and parse-stack node one by one, frees most of them
// again during the parse, and frees the finished tree by walking it. A parse's memory is
// instead bumped out of large chunks that the Source releases whole with its tree. Outside
// a parse (cursors over a finished tree) the C allocator serves, so the hooks are correct
// whenever they are installed.
struct ParseArena {
  std::vector<std::pair<char*, size_t>>* chunks = nullptr;
  char* top = nullptr;
  char* end = nullptr;
  char* last = nullptr;  // the latest block: freed or grown in place
};
thread_local ParseArena* t_arena = nullptr;

constexpr size_t kChunkBytes = size_t{1} << 20;
constexpr size_t kAlign = alignof(std::max_align_t);

[[noreturn]] void OutOfMemory() {
  std::fputs("pyrace lint: out of memory while parsing\n", stderr);
  std::abort();  // tree-sitter's own policy when an allocation fails
}

// Standard chunks of finished parses, kept for the thread's next parse: reusing them
// saves the page faults of fresh memory.
constexpr size_t kSpareChunks = 4;
thread_local std::vector<char*> t_spare;

char* NewChunk(ParseArena& a, size_t bytes) {
  char* c = nullptr;
  if (bytes == kChunkBytes && !t_spare.empty()) {
    c = t_spare.back();
    t_spare.pop_back();
  } else {
    c = static_cast<char*>(std::malloc(bytes));
  }
  if (!c) OutOfMemory();
  a.chunks->emplace_back(c, bytes);
  return c;
}

void* ArenaAlloc(ParseArena& a, size_t n) {
  n = std::max(kAlign, (n + kAlign - 1) & ~(kAlign - 1));
  if (n > kChunkBytes / 4) return NewChunk(a, n);  // its own chunk; the current one goes on
  if (static_cast<size_t>(a.end - a.top) < n) {
    a.top = NewChunk(a, kChunkBytes);
    a.end = a.top + kChunkBytes;
  }
  a.last = a.top;
  a.top += n;
  return a.last;
}

// The bytes from p to the end of the arena chunk holding it; 0 if no chunk holds it.
size_t RoomInChunk(const ParseArena& a, const void* p) {
  const char* q = static_cast<const char*>(p);
  for (auto it = a.chunks->rbegin(); it != a.chunks->rend(); ++it) {
    if (q >= it->first && q < it->first + it->second) return static_cast<size_t>(it->first + it->second - q);
  }
  return 0;
}

void* HookMalloc(size_t n) {
  if (ParseArena* a = t_arena) return ArenaAlloc(*a, n);
  void* p = std::malloc(n);
  if (!p && n) OutOfMemory();
  return p;
}

void* HookCalloc(size_t count, size_t size) {
  if (ParseArena* a = t_arena) {
    void* p = ArenaAlloc(*a, count * size);
    std::memset(p, 0, count * size);
    return p;
  }
  void* p = std::calloc(count, size);
  if (!p && count && size) OutOfMemory();
  return p;
}

void* HookRealloc(void* p, size_t n) {
  ParseArena* a = t_arena;
  size_t room = a && p ? RoomInChunk(*a, p) : 0;
  if (!a || (p && room == 0)) {  // outside a parse, or a block from before it
    void* q = std::realloc(p, n);
    if (!q && n) OutOfMemory();
    return q;
  }
  if (!p) return ArenaAlloc(*a, n);
  const size_t want = std::max(kAlign, (n + kAlign - 1) & ~(kAlign - 1));
  if (p == a->last && a->last + room == a->end && room >= want) {
    a->top = a->last + want;  // the latest block of the current chunk grows in place
    return p;
  }
  // The old block's size is unknown but bounded by its chunk: copying up to the new size
  // or the chunk's end copies the block and at most unused bytes after it (which may be
  // where the new block is: hence memmove).
  void* q = ArenaAlloc(*a, n);
  std::memmove(q, p, std::min(n, room));
  return q;
}

void HookFree(void* p) {
  if (!p) return;
  ParseArena* a = t_arena;
  if (a && RoomInChunk(*a, p) != 0) {
    if (p == a->last) {
      a->top = a->last;
      a->last = nullptr;
    }
    return;  // released with the arena
  }
  std::free(p);
}

void InstallAllocator() {
  static std::once_flag once;
  std::call_once(once, [] { ts_set_allocator(HookMalloc, HookCalloc, HookRealloc, HookFree); });
}

}  // namespace

const TSLanguage* PythonLanguage() { return tree_sitter_python(); }

Source::Source(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  IndexLines();
}

void Source::IndexLines() {
  line_starts_.assign(1, 0);
  const char* const begin = text_.data();
  const char* const end = begin + text_.size();
  for (const char* p = begin; (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))));) {
    ++p;
    line_starts_.push_back(static_cast<uint32_t>(p - begin));
  }
  ascii_ = std::all_of(text_.begin(), text_.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

Source::~Source() = default;

namespace {

size_t Indent(const std::string& t, size_t line_start) {
  size_t i = line_start;
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
  return i - line_start;
}

// tree-sitter-python's scanner emits a DEDENT for a continuation line inside brackets
// that is indented less than the statement it continues (legal Python, e.g. CPython's
// test_compile.py). Python ignores that indentation, so re-indenting such lines to the
// statement's indentation changes nothing but columns on those lines. Used only for
// files that fail to parse as written.
std::string IndentContinuationLines(const std::string& t) {
  std::string out;
  out.reserve(t.size() + 256);
  int depth = 0;
  size_t stmt_indent = 0;
  char quote = 0;
  bool triple = false;
  size_t i = 0;
  while (i < t.size()) {
    // At a line start.
    size_t ind = Indent(t, i);
    if (depth > 0 && quote == 0) {
      if (ind < stmt_indent) out.append(stmt_indent - ind, ' ');
    } else if (quote == 0) {
      stmt_indent = ind;
    }
    for (; i < t.size(); ++i) {
      char c = t[i];
      out += c;
      if (c == '\n') {
        ++i;
        break;
      }
      if (quote) {
        if (c == '\\' && i + 1 < t.size()) {
          out += t[++i];
          if (t[i] == '\n') { ++i; break; }
          continue;
        }
        if (c == quote) {
          if (!triple) {
            quote = 0;
          } else if (i + 2 < t.size() && t[i + 1] == quote && t[i + 2] == quote) {
            out += t[i + 1];
            out += t[i + 2];
            i += 2;
            quote = 0;
          }
        }
        continue;
      }
      if (c == '#') {
        while (i + 1 < t.size() && t[i + 1] != '\n') out += t[++i];
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        triple = i + 2 < t.size() && t[i + 1] == c && t[i + 2] == c;
        if (triple) {
          out += t[i + 1];
          out += t[i + 2];
          i += 2;
        }
        continue;
      }
      if (c == '(' || c == '[' || c == '{') ++depth;
      if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    }
  }
  return out;
}

}  // namespace

// Releases a parse's arena chunks; standard ones are kept for the thread's next parse.
static void ReleaseArena(std::vector<std::pair<char*, size_t>>& chunks) {
  for (auto& [chunk, bytes] : chunks) {
    if (bytes == kChunkBytes && t_spare.size() < kSpareChunks) {
      t_spare.push_back(chunk);
    } else {
      std::free(chunk);
    }
  }
  chunks.clear();
}

bool Source::Parse(bool flatten) {
  InstallAllocator();
  std::vector<std::pair<char*, size_t>> chunks;
  ParseArena arena;
  arena.chunks = &chunks;
  ParseArena* outer = t_arena;
  t_arena = &arena;
  struct Restore {
    ParseArena* outer;
    std::vector<std::pair<char*, size_t>>* chunks;
    ~Restore() {
      t_arena = outer;
      ReleaseArena(*chunks);  // the trees, the parser and the cursor live in it
    }
  } restore{outer, &chunks};
  TSParser* parser = ts_parser_new();
  if (!ts_parser_set_language(parser, PythonLanguage())) {
    ts_parser_delete(parser);
    return false;
  }
  TSTree* tree = ts_parser_parse_string(parser, nullptr, text_.data(), static_cast<uint32_t>(text_.size()));
  if (tree && ts_node_has_error(ts_tree_root_node(tree))) {
    std::string alt = IndentContinuationLines(text_);
    if (alt != text_) {
      TSTree* t2 = ts_parser_parse_string(parser, nullptr, alt.data(), static_cast<uint32_t>(alt.size()));
      if (t2 && !ts_node_has_error(ts_tree_root_node(t2))) {
        tree = t2;  // the first tree stays in the arena until it goes
        text_ = std::move(alt);
        IndexLines();
      }
    }
  }
  ts_parser_delete(parser);
  if (!tree) return false;
  ReadSyntaxErrors(tree);
  if (flatten) Flatten(tree);
  return true;
}

// One preorder walk with a cursor, which steps through hidden nodes as the node API
// does; the field of each node is the cursor's, the one ts_node_child_by_field_id
// would find it by. Each node's visible children are counted (in O(1)) so that the walk
// never asks the cursor for a sibling after the last child: a sibling move that fails
// climbs through the hidden ancestors and their remaining children before it gives up,
// and those failures were a third of the walk.
void Source::Flatten(TSTree* tree) {
  nodes_.clear();
  nodes_.reserve(text_.size() / 3 + 16);
  TSTreeCursor cur = ts_tree_cursor_new(ts_tree_root_node(tree));
  struct Level {
    uint32_t index;      // the node's entry in nodes_
    uint32_t siblings;   // siblings still to come after it
  };
  std::vector<Level> path;  // the current node and its ancestors
  path.reserve(64);
  // Adds the cursor's node and returns its visible child count.
  auto add = [&](uint32_t siblings) {
    TSNode n = ts_tree_cursor_current_node(&cur);
    FlatNode f;
    f.start_byte = ts_node_start_byte(n);
    f.end_byte = ts_node_end_byte(n);
    TSPoint s = ts_node_start_point(n), e = ts_node_end_point(n);
    f.start_row = s.row;
    f.start_col = s.column;
    f.end_row = e.row;
    f.end_col = e.column;
    f.symbol = ts_node_symbol(n);
    f.field = ts_tree_cursor_current_field_id(&cur);
    f.named = ts_node_is_named(n);
    const uint32_t idx = static_cast<uint32_t>(nodes_.size());
    if (!path.empty()) {
      f.parent = idx - path.back().index;
      nodes_[path.back().index].named_count += f.named;
    }
    const uint32_t children = ts_node_child_count(n);
    f.has_children = children > 0;
    nodes_.push_back(f);
    path.push_back({idx, siblings});
    return children;
  };
  uint32_t children = add(0);
  for (;;) {
    if (children > 0 && ts_tree_cursor_goto_first_child(&cur)) {
      children = add(children - 1);
      continue;
    }
    for (;;) {
      const Level done = path.back();
      path.pop_back();
      if (path.empty()) {
        ts_tree_cursor_delete(&cur);
        return;
      }
      if (done.siblings > 0 && ts_tree_cursor_goto_next_sibling(&cur)) {
        const uint32_t idx = static_cast<uint32_t>(nodes_.size());
        nodes_[done.index].next = idx - done.index;
        children = add(done.siblings - 1);
        break;
      }
      ts_tree_cursor_goto_parent(&cur);
    }
  }
}

std::string_view Source::Text(TSNode n) const {
  if (ts_node_is_null(n)) return {};
  uint32_t b = ts_node_start_byte(n), e = ts_node_end_byte(n);
  if (b > text_.size() || e > text_.size() || e < b) return {};
  return std::string_view(text_).substr(b, e - b);
}

std::string_view Source::Text(Node n) const {
  if (n.IsNull()) return {};
  uint32_t b = n->start_byte, e = n->end_byte;
  if (b > text_.size() || e > text_.size() || e < b) return {};
  return std::string_view(text_).substr(b, e - b);
}

Pos Source::PosOf(Node n) const {
  if (n.IsNull()) return {};
  return Pos{n->start_row + 1, ColumnOf(n->start_row, n->start_col), n->end_row + 1, ColumnOf(n->end_row, n->end_col)};
}

uint32_t Source::ColumnOf(uint32_t row, uint32_t byte_col) const {
  if (row >= line_starts_.size()) return byte_col + 1;
  uint32_t start = line_starts_[row];
  if (ascii_) return std::min<uint32_t>(byte_col, static_cast<uint32_t>(text_.size()) - start) + 1;
  uint32_t col = 1;
  for (uint32_t i = start; i < start + byte_col && i < text_.size(); ++i) {
    // Count code points: every byte that is not a UTF-8 continuation byte.
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++col;
  }
  return col;
}

Pos Source::PosOf(TSNode n) const {
  if (ts_node_is_null(n)) return {};
  TSPoint s = ts_node_start_point(n), e = ts_node_end_point(n);
  return Pos{s.row + 1, ColumnOf(s.row, s.column), e.row + 1, ColumnOf(e.row, e.column)};
}

std::string_view Source::Line(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t b = line_starts_[line - 1];
  uint32_t e = line < line_starts_.size() ? line_starts_[line] - 1 : static_cast<uint32_t>(text_.size());
  std::string_view v = std::string_view(text_).substr(b, e - b);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

// The innermost erroneous node: tree-sitter wraps what it could not parse in ERROR nodes
// that may span far more than the culprit, so descend to the deepest one.
static bool FindError(TSNode n, TSNode* out) {
  if (!ts_node_has_error(n)) return false;
  if (ts_node_is_missing(n)) {
    *out = n;
    return true;
  }
  uint32_t c = ts_node_child_count(n);
  for (uint32_t i = 0; i < c; ++i) {
    if (FindError(ts_node_child(n, i), out)) return true;
  }
  *out = n;
  return true;
}

void Source::ReadSyntaxErrors(TSTree* tree) {
  std::vector<SyntaxError>& out = syntax_errors_;
  out.clear();
  TSNode err;
  if (!FindError(ts_tree_root_node(tree), &err)) return;
  SyntaxError e;
  e.pos = PosOf(err);
  if (ts_node_is_missing(err)) {
    e.message = std::string("syntax error: missing '") + ts_node_type(err) + "'";
  } else {
    std::string_view t = Text(err);
    size_t nl = t.find('\n');
    if (nl != std::string_view::npos) t = t.substr(0, nl);
    if (t.size() > 40) t = t.substr(0, 40);
    e.message = "syntax error: cannot parse '" + std::string(t) + "'";
  }
  out.push_back(std::move(e));
}

Node Unparen(Node n) {
  while (Is<"parenthesized_expression">(n) && NamedCount(n) == 1) n = NamedChild(n, 0);
  return n;
}

}  // namespace pyrace::lint

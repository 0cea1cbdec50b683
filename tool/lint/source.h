// A parsed Python file: its text, line index and its tree-sitter tree as a flat node
// array, with the small node helpers every analysis uses (text of a node, its position,
// field access by name).
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pyrace::lint {

// 1-based line and column (columns count Unicode code points, as SARIF's
// "unicodeCodePoints" column kind and the caret renderer expect).
struct Pos {
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t end_line = 0;
  uint32_t end_col = 0;
  bool operator<(const Pos& o) const {
    return line != o.line ? line < o.line : col < o.col;
  }
  bool operator==(const Pos& o) const { return line == o.line && col == o.col; }
};

struct SyntaxError {
  Pos pos;
  std::string message;
};

// One visible node of a parsed file (named or anonymous, as tree-sitter's node API
// sees them: hidden grammar rules are flattened away), stored in preorder so that a
// node's first child is the next entry. The extraction walks read these plain fields;
// tree-sitter's node API recomputes them from the subtree on every call (ts_node_child
// walks the children from the first, ts_node_child_by_field_id scans the field map),
// which cost more than the walks themselves.
struct FlatNode {
  uint32_t start_byte = 0, end_byte = 0;
  uint32_t start_row = 0, start_col = 0, end_row = 0, end_col = 0;  // byte columns
  uint32_t next = 0;    // distance to the next sibling; 0: the last child
  uint32_t parent = 0;  // distance back to the parent; 0: the root
  uint32_t named_count = 0;  // named children
  TSSymbol symbol = 0;
  TSFieldId field = 0;  // the field this node fills in its parent; 0: none
  uint8_t has_children : 1 = 0;
  uint8_t named : 1 = 0;
};

// A node of a Source's flat tree; null by default. Valid while its Source lives.
class Node {
 public:
  Node() = default;
  explicit Node(const FlatNode* p) : p_(p) {}
  bool IsNull() const { return p_ == nullptr; }
  TSSymbol Symbol() const { return p_ ? p_->symbol : 0; }
  const FlatNode* operator->() const { return p_; }
  bool operator==(const Node& o) const { return p_ == o.p_; }
  bool operator!=(const Node& o) const { return p_ != o.p_; }
  Node FirstChild() const { return Node(p_ && p_->has_children ? p_ + 1 : nullptr); }
  Node NextSibling() const { return Node(p_ && p_->next ? p_ + p_->next : nullptr); }
  Node Parent() const { return Node(p_ && p_->parent ? p_ - p_->parent : nullptr); }
  uint32_t StartByte() const { return p_ ? p_->start_byte : 0; }
  uint32_t EndByte() const { return p_ ? p_->end_byte : 0; }

 private:
  const FlatNode* p_ = nullptr;
};

class Source {
 public:
  Source(std::string path, std::string text);
  ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  // Parses the text and, with `flatten`, copies the tree into the flat node array
  // (FlatNode); false only if tree-sitter itself failed (never for bad Python).
  // tree-sitter's allocations during the parse come from an arena released whole when
  // Parse returns, without a walk; syntax errors are read from the tree before it goes.
  bool Parse(bool flatten = true);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  Node root() const { return nodes_.empty() ? Node() : Node(nodes_.data()); }

  std::string_view Text(Node n) const;
  Pos PosOf(Node n) const;
  std::string_view Line(uint32_t line) const;  // 1-based, without the newline
  uint32_t ColumnOf(uint32_t row, uint32_t byte_col) const;  // 0-based in, 1-based out
  size_t Newlines() const { return line_starts_.size() - 1; }

  // The first ERROR or MISSING node, if any, as a syntax error with its position.
  const std::vector<SyntaxError>& SyntaxErrors() const { return syntax_errors_; }

 private:
  std::string_view Text(TSNode n) const;
  Pos PosOf(TSNode n) const;
  void ReadSyntaxErrors(TSTree* tree);
  void Flatten(TSTree* tree);
  void IndexLines();

  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
  bool ascii_ = true;  // every column is its byte offset + 1
  std::vector<FlatNode> nodes_;
  std::vector<SyntaxError> syntax_errors_;
};

// Node kinds and fields are compared by the grammar's numeric ids, looked up once per
// name: `Is<"call">(n)`, `Field<"function">(n)`.
template <size_t N>
struct Lit {
  char s[N];
  constexpr Lit(const char (&v)[N]) {  // NOLINT: implicit by design
    for (size_t i = 0; i < N; ++i) s[i] = v[i];
  }
};
const TSLanguage* PythonLanguage();
// The ids are variables initialised before main, so that reading one is a plain load:
// a function-local static checked its guard on every comparison of every walk, 4 % of
// a lint. Hence: no initialiser of another global may use them.
template <Lit L>
inline const TSSymbol kSymbolId = ts_language_symbol_for_name(PythonLanguage(), L.s, sizeof(L.s) - 1, true);
template <Lit L>
inline const TSFieldId kFieldId = ts_language_field_id_for_name(PythonLanguage(), L.s, sizeof(L.s) - 1);
template <Lit L>
inline TSSymbol SymbolId() {
  return kSymbolId<L>;
}
template <Lit L>
inline TSFieldId FieldId() {
  return kFieldId<L>;
}
template <Lit L>
inline bool Is(Node n) {
  return !n.IsNull() && n.Symbol() == SymbolId<L>();
}
// The first child filling the field, as ts_node_child_by_field_id finds it.
inline Node FieldChild(Node n, TSFieldId id) {
  for (Node c = n.FirstChild(); !c.IsNull(); c = c.NextSibling()) {
    if (c->field == id) return c;
  }
  return Node();
}
template <Lit L>
inline Node Field(Node n) {
  return FieldChild(n, FieldId<L>());
}
inline uint32_t NamedCount(Node n) { return n.IsNull() ? 0 : n->named_count; }
inline Node NamedChild(Node n, uint32_t i) {
  for (Node c = n.FirstChild(); !c.IsNull(); c = c.NextSibling()) {
    if (c->named && i-- == 0) return c;
  }
  return Node();
}
// Calls f(child) for each named child.
template <class F>
void ForEachNamed(Node n, F&& f) {
  for (Node c = n.FirstChild(); !c.IsNull(); c = c.NextSibling()) {
    if (c->named) f(c);
  }
}
// Strips parentheses around an expression.
Node Unparen(Node n);

}  // namespace pyrace::lint

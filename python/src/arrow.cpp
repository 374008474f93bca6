// Tables from the Arrow C data interface (the PyCapsule protocol: __arrow_c_stream__ and
// __arrow_c_array__), read straight from the Arrow buffers: no Python object per value, and
// float64 columns without nulls / dictionary codes borrowed without a copy.
//
// The three C structs are declared here from the specification
// (https://arrow.apache.org/docs/format/CDataInterface.html); churnlib does not link Arrow.
// The C interface gives buffer pointers without sizes, so everything that can be checked is
// checked before a value is read: lengths and offsets non-negative and without overflow, the
// buffer count of the type, no null data buffer where values exist, a validity bitmap where
// nulls are announced, string offsets non-decreasing, string views inside their buffer (whose
// sizes the view layout does carry), dictionary indices inside the dictionary. A malformed
// array raises InvalidArgument; an unsupported type TypeMismatch naming the column and format.
#include <pybind11/pybind11.h>

#include <algorithm>      // std::min
#include <cstdint>        // std::int64_t, std::uint8_t, std::uintptr_t
#include <cstring>        // std::memcpy, std::strcmp
#include <limits>         // std::numeric_limits
#include <memory>         // std::shared_ptr
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <type_traits>    // std::is_same_v
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move
#include <vector>         // std::vector

#include "bindings.hpp"
#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/types.hpp"
#include "common/hash.hpp"

namespace churn::python {

using data::Column;
using data::Table;

// ---- the Arrow C data interface (ABI-stable structs from the specification) -----------------

extern "C" {
struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  std::int64_t flags;
  std::int64_t n_children;
  ArrowSchema** children;
  ArrowSchema* dictionary;
  void (*release)(ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  std::int64_t length;
  std::int64_t null_count;
  std::int64_t offset;
  std::int64_t n_buffers;
  std::int64_t n_children;
  const void** buffers;
  ArrowArray** children;
  ArrowArray* dictionary;
  void (*release)(ArrowArray*);
  void* private_data;
};

struct ArrowArrayStream {
  int (*get_schema)(ArrowArrayStream*, ArrowSchema* out);
  int (*get_next)(ArrowArrayStream*, ArrowArray* out);
  const char* (*get_last_error)(ArrowArrayStream*);
  void (*release)(ArrowArrayStream*);
  void* private_data;
};
}

namespace {

// ---- ownership: structs moved out of their capsules, released once ---------------------------

/// An Arrow C struct (ArrowSchema, ArrowArray or ArrowArrayStream) this code owns: released
/// once, when the owner dies.
template <class T>
struct Owned {
  T c{};
  Owned() = default;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (c.release != nullptr) c.release(&c);
  }
};
using OwnedSchema = Owned<ArrowSchema>;
using OwnedArray = Owned<ArrowArray>;
using OwnedStream = Owned<ArrowArrayStream>;

/// The pointer of a PyCapsule named `name`. @throws InvalidArgument otherwise.
template <class T>
T* capsule_pointer(const py::handle& cap, const char* name, const char* caller) {
  CHURN_CHECK(PyCapsule_IsValid(cap.ptr(), name) != 0, InvalidArgument,
              caller << ": expected a PyCapsule named '" << name << "' from the Arrow protocol");
  auto* p = static_cast<T*>(PyCapsule_GetPointer(cap.ptr(), name));
  if (p == nullptr) throw py::error_already_set();
  CHURN_CHECK(p->release != nullptr, InvalidArgument,
              caller << ": the Arrow '" << name << "' capsule was already consumed (released)");
  return p;
}

/// Moves a C struct out of its producer (the spec's "move": copy, then mark the source released).
template <class T>
std::shared_ptr<Owned<T>> take(T* src) {
  auto out = std::make_shared<Owned<T>>();
  std::memcpy(static_cast<void*>(&out->c), src, sizeof(T));
  src->release = nullptr;
  return out;
}

inline std::size_t sz(std::int64_t i) {
  return static_cast<std::size_t>(i);
}

// ---- reading arrays ---------------------------------------------------------------------------

/// A slice of one Arrow array that becomes part of a column: rows [first, first + length) of the
/// physical buffers (the array's own offset plus its parent's already added); `owner` keeps the
/// batch, and so the buffers, alive.
struct Chunk {
  const ArrowArray* arr;
  std::int64_t first;
  std::int64_t length;
  std::shared_ptr<const void> owner;
};

std::string quote_format(const char* f) {
  return std::string("'") + (f == nullptr ? "(null)" : f) + "'";
}

/// True when a or b is negative or a + b overflows (a sum of a length and an offset).
bool add_overflows(std::int64_t a, std::int64_t b) {
  return a < 0 || b < 0 || b > std::numeric_limits<std::int64_t>::max() - a;
}

/// Checks the parts of an array every type shares: counts and offsets, the buffer count
/// (`min_buffers` .. `max_buffers`), that data buffers `1..` exist where values exist and that
/// a validity bitmap exists where nulls are announced.
void check_array(const std::string& col, const ArrowArray* a, const Chunk& c,
                 std::int64_t min_buffers, std::int64_t max_buffers) {
  CHURN_CHECK(a != nullptr, InvalidArgument, "column '" << col << "': null ArrowArray");
  CHURN_CHECK(!add_overflows(a->offset, a->length) && a->null_count >= -1 && a->n_buffers >= 0 &&
                  a->n_children >= 0,
              InvalidArgument,
              "column '" << col << "': malformed ArrowArray (length " << a->length << ", offset "
                         << a->offset << ", null_count " << a->null_count << ", n_buffers "
                         << a->n_buffers << ")");
  CHURN_CHECK(a->n_buffers >= min_buffers && a->n_buffers <= max_buffers, InvalidArgument,
              "column '" << col << "': malformed ArrowArray: " << a->n_buffers
                         << " buffers, expected " << min_buffers
                         << (min_buffers == max_buffers ? "" : " or more"));
  CHURN_CHECK(a->n_buffers == 0 || a->buffers != nullptr, InvalidArgument,
              "column '" << col << "': malformed ArrowArray: null buffer list");
  CHURN_CHECK(c.first >= 0 && c.length >= 0 && !add_overflows(c.first, c.length) &&
                  c.first + c.length <= a->offset + a->length && c.first >= a->offset,
              InvalidArgument,
              "column '" << col << "': rows " << c.first << ".." << c.first + c.length
                         << " fall outside the ArrowArray (offset " << a->offset << ", length "
                         << a->length << ")");
  if (c.length > 0) {
    for (std::int64_t b = 1; b < std::min<std::int64_t>(a->n_buffers, 2); ++b)
      CHURN_CHECK(a->buffers[b] != nullptr, InvalidArgument,
                  "column '" << col << "': malformed ArrowArray: data buffer " << b << " is null");
    CHURN_CHECK(a->null_count <= 0 || a->buffers[0] != nullptr, InvalidArgument,
                "column '" << col << "': malformed ArrowArray: " << a->null_count
                           << " nulls but no validity bitmap");
  }
}

/// The validity bitmap of a chunk, or nullptr when every value is present.
const std::uint8_t* validity(const ArrowArray* a) {
  if (a->n_buffers == 0 || a->null_count == 0) return nullptr;
  return static_cast<const std::uint8_t*>(a->buffers[0]);
}

inline bool is_valid(const std::uint8_t* bits, std::int64_t i) {
  return bits == nullptr || ((bits[i >> 3] >> (i & 7)) & 1) != 0;
}

std::int64_t total_rows(const std::vector<Chunk>& chunks) {
  std::int64_t n = 0;
  for (const auto& c : chunks) n += c.length;
  return n;
}

/// Strings of one Arrow array (utf8 "u", large_utf8 "U" or string_view "vu"), checked once
/// (offsets monotone, views inside their buffers) so that at() needs no check.
class StringReader {
 public:
  StringReader(const std::string& col, const char* fmt, const ArrowArray* a, std::int64_t first,
               std::int64_t length)
      : a_(a) {
    const std::string f = fmt;
    Chunk c{a, first, length, nullptr};
    if (f == "u" || f == "U") {
      kind_ = f == "u" ? 0 : 1;
      check_array(col, a, c, 3, 3);
      if (length == 0) return;
      data_ = static_cast<const char*>(a->buffers[2]);
      std::int64_t prev = offset(first);
      CHURN_CHECK(prev >= 0, InvalidArgument,
                  "column '" << col << "': malformed string offsets (negative offset " << prev
                             << " at row " << first << ")");
      for (std::int64_t i = first + 1; i <= first + length; ++i) {
        const std::int64_t o = offset(i);
        CHURN_CHECK(o >= prev, InvalidArgument,
                    "column '" << col << "': malformed string offsets (" << o << " after " << prev
                               << " at row " << i << ")");
        prev = o;
      }
      CHURN_CHECK(prev == offset(first) || data_ != nullptr, InvalidArgument,
                  "column '" << col << "': malformed ArrowArray: null string data buffer");
    } else if (f == "vu") {
      kind_ = 2;
      check_array(col, a, c, 3, std::numeric_limits<std::int64_t>::max());
      if (length == 0) return;
      const std::int64_t n_data = a->n_buffers - 3;
      const auto* sizes = static_cast<const std::int64_t*>(a->buffers[a->n_buffers - 1]);
      CHURN_CHECK(n_data == 0 || sizes != nullptr, InvalidArgument,
                  "column '" << col << "': malformed string_view array: null buffer sizes");
      const auto* views = static_cast<const std::uint8_t*>(a->buffers[1]);
      const std::uint8_t* bits = validity(a);
      for (std::int64_t i = first; i < first + length; ++i) {
        if (!is_valid(bits, i)) continue;
        std::int32_t len, buf, off;
        std::memcpy(&len, views + 16 * i, 4);
        CHURN_CHECK(len >= 0, InvalidArgument,
                    "column '" << col << "': malformed string view at row " << i << " (length "
                               << len << ")");
        if (len <= 12) continue;
        std::memcpy(&buf, views + 16 * i + 8, 4);
        std::memcpy(&off, views + 16 * i + 12, 4);
        CHURN_CHECK(buf >= 0 && buf < n_data && off >= 0 &&
                        static_cast<std::int64_t>(off) + len <= sizes[buf] &&
                        a->buffers[2 + buf] != nullptr,
                    InvalidArgument,
                    "column '" << col << "': malformed string view at row " << i << " (buffer "
                               << buf << ", offset " << off << ", length " << len << ")");
      }
    } else {
      CHURN_THROW(TypeMismatch, "column '" << col << "': Arrow format " << quote_format(fmt)
                                           << " is not a string type");
    }
  }

  /// The string at physical row `i` (valid rows only).
  std::string_view at(std::int64_t i) const {
    if (kind_ == 2) {
      const auto* v = static_cast<const std::uint8_t*>(a_->buffers[1]) + 16 * i;
      std::int32_t len;
      std::memcpy(&len, v, 4);
      if (len <= 12) return {reinterpret_cast<const char*>(v + 4), static_cast<std::size_t>(len)};
      std::int32_t buf, off;
      std::memcpy(&buf, v + 8, 4);
      std::memcpy(&off, v + 12, 4);
      return {static_cast<const char*>(a_->buffers[2 + buf]) + off, static_cast<std::size_t>(len)};
    }
    const std::int64_t lo = offset(i);
    return {data_ + lo, static_cast<std::size_t>(offset(i + 1) - lo)};
  }

 private:
  std::int64_t offset(std::int64_t i) const {
    if (kind_ == 0) return static_cast<const std::int32_t*>(a_->buffers[1])[i];
    return static_cast<const std::int64_t*>(a_->buffers[1])[i];
  }
  const ArrowArray* a_;
  int kind_ = 0;
  const char* data_ = nullptr;
};

bool is_string_format(const std::string& f) {
  return f == "u" || f == "U" || f == "vu";
}

/// Calls f(T{}) with T the C type of an Arrow integer format; returns false for other formats.
template <class F>
bool visit_int_format(char f, F&& fn) {
  switch (f) {
    case 'c': fn(std::int8_t{}); return true;
    case 'C': fn(std::uint8_t{}); return true;
    case 's': fn(std::int16_t{}); return true;
    case 'S': fn(std::uint16_t{}); return true;
    case 'i': fn(std::int32_t{}); return true;
    case 'I': fn(std::uint32_t{}); return true;
    case 'l': fn(std::int64_t{}); return true;
    case 'L': fn(std::uint64_t{}); return true;
    default: return false;
  }
}

Column float_column(const std::string& name, const std::string& fmt,
                    const std::vector<Chunk>& chunks) {
  for (const auto& c : chunks) check_array(name, c.arr, c, 2, 2);
  if (fmt == "g" && chunks.size() == 1 && chunks[0].length > 0 &&
      validity(chunks[0].arr) == nullptr) {
    const Chunk& c = chunks[0];
    const auto* p = static_cast<const double*>(c.arr->buffers[1]) + c.first;
    if (reinterpret_cast<std::uintptr_t>(p) % alignof(double) == 0)
      return Column::from_float64_view(name, p, c.length, c.owner);  // zero-copy
  }
  std::vector<double> out(static_cast<std::size_t>(total_rows(chunks)));
  std::size_t k = 0;
  for (const auto& c : chunks) {
    const std::uint8_t* bits = validity(c.arr);
    if (c.length == 0) continue;
    for (std::int64_t i = c.first; i < c.first + c.length; ++i, ++k) {
      double v;
      if (fmt == "g") {
        std::memcpy(&v, static_cast<const char*>(c.arr->buffers[1]) + 8 * i, 8);
      } else {
        float f;
        std::memcpy(&f, static_cast<const char*>(c.arr->buffers[1]) + 4 * i, 4);
        v = f;
      }
      out[k] = is_valid(bits, i) ? v : kMissing;
    }
  }
  return Column::from_float64(name, std::move(out));
}

Column int_column(const std::string& name, char f, const std::vector<Chunk>& chunks) {
  for (const auto& c : chunks) check_array(name, c.arr, c, 2, 2);
  const auto n = static_cast<std::size_t>(total_rows(chunks));
  std::vector<std::int64_t> out(n);
  std::vector<std::uint8_t> valid(n, 1);
  bool any_null = false;
  std::size_t k = 0;
  for (const auto& c : chunks) {
    if (c.length == 0) continue;
    const std::uint8_t* bits = validity(c.arr);
    visit_int_format(f, [&](auto zero) {
      using T = decltype(zero);
      const auto* p = static_cast<const char*>(c.arr->buffers[1]);
      for (std::int64_t i = c.first; i < c.first + c.length; ++i, ++k) {
        if (!is_valid(bits, i)) {
          valid[k] = 0;
          any_null = true;
          out[k] = 0;
          continue;
        }
        T v;
        std::memcpy(&v, p + sizeof(T) * static_cast<std::size_t>(i), sizeof(T));
        if constexpr (std::is_same_v<T, std::uint64_t>) {
          CHURN_CHECK(v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                      InvalidArgument,
                      "column '" << name << "': uint64 value " << v << " does not fit in int64");
        }
        out[k] = static_cast<std::int64_t>(v);
      }
    });
  }
  if (!any_null) valid.clear();
  return Column::from_int64(name, std::move(out), std::move(valid));
}

Column bool_column(const std::string& name, const std::vector<Chunk>& chunks) {
  for (const auto& c : chunks) check_array(name, c.arr, c, 2, 2);
  const auto n = static_cast<std::size_t>(total_rows(chunks));
  std::vector<std::int64_t> out(n);
  std::vector<std::uint8_t> valid(n, 1);
  bool any_null = false;
  std::size_t k = 0;
  for (const auto& c : chunks) {
    if (c.length == 0) continue;
    const std::uint8_t* bits = validity(c.arr);
    const auto* data = static_cast<const std::uint8_t*>(c.arr->buffers[1]);
    for (std::int64_t i = c.first; i < c.first + c.length; ++i, ++k) {
      if (!is_valid(bits, i)) {
        valid[k] = 0;
        any_null = true;
      } else {
        out[k] = is_valid(data, i) ? 1 : 0;
      }
    }
  }
  if (!any_null) valid.clear();
  return Column::from_int64(name, std::move(out), std::move(valid));
}

/// Timestamps (ts{s,m,u,n}:tz, UTC-based) and dates (tdD days, tdm milliseconds) as ns.
Column time_column(const std::string& name, const std::string& fmt,
                   const std::vector<Chunk>& chunks) {
  std::int64_t scale = 1;
  bool days32 = false;
  if (fmt == "tdD") {
    days32 = true;
    scale = kNanosPerDay;
  } else if (fmt == "tdm" || fmt.rfind("tsm:", 0) == 0) {
    scale = 1000000;
  } else if (fmt.rfind("tss:", 0) == 0) {
    scale = 1000000000;
  } else if (fmt.rfind("tsu:", 0) == 0) {
    scale = 1000;
  }
  for (const auto& c : chunks) check_array(name, c.arr, c, 2, 2);
  std::vector<std::int64_t> out(static_cast<std::size_t>(total_rows(chunks)), kNaT);
  std::size_t k = 0;
  for (const auto& c : chunks) {
    if (c.length == 0) continue;
    const std::uint8_t* bits = validity(c.arr);
    const auto* p = static_cast<const char*>(c.arr->buffers[1]);
    for (std::int64_t i = c.first; i < c.first + c.length; ++i, ++k) {
      if (!is_valid(bits, i)) continue;
      std::int64_t v;
      if (days32) {
        std::int32_t d;
        std::memcpy(&d, p + 4 * i, 4);
        v = d;
      } else {
        std::memcpy(&v, p + 8 * i, 8);
      }
      std::int64_t ns;
      CHURN_CHECK(!__builtin_mul_overflow(v, scale, &ns) && ns != kNaT, InvalidArgument,
                  "column '" << name << "': Arrow " << quote_format(fmt.c_str()) << " value " << v
                             << " at row " << k << " does not fit in int64 nanoseconds");
      out[k] = ns;
    }
  }
  return Column::from_timestamp(name, std::move(out));
}

/// Dictionary encoding in one hash pass: an open-addressing table to codes in order of first
/// appearance. A slot holds the hash, the length and the first 16 bytes of its key, so short
/// keys (ids) compare within the slot (one cache miss per lookup); longer ones also compare
/// the string_view (into buffers the caller keeps alive while encoding).
class TextEncoder {
 public:
  TextEncoder() : slots_(1024), mask_(1023) {}
  std::int32_t code(std::string_view s) { return code(s, common::hash_bytes(s)); }
  /// Hints the cache about the slot a key of hash `h` starts probing at.
  void prefetch(std::uint64_t h) const { __builtin_prefetch(&slots_[h & mask_]); }
  /// The code of `s` whose common::hash_bytes() is `h`, inserting it when new.
  std::int32_t code(std::string_view s, std::uint64_t h) {
    char head[kInline] = {};
    std::memcpy(head, s.data(), std::min(s.size(), kInline));
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.code < 0) {
        slot.hash = h;
        slot.len = static_cast<std::uint32_t>(s.size());
        slot.code = static_cast<std::int32_t>(keys_.size());
        std::memcpy(slot.head, head, kInline);
        keys_.push_back(s);
        const std::int32_t c = slot.code;
        if (2 * keys_.size() > slots_.size()) grow();
        return c;
      }
      if (slot.hash == h && slot.len == s.size() && std::memcmp(slot.head, head, kInline) == 0 &&
          (s.size() <= kInline || keys_[sz(slot.code)] == s))
        return slot.code;
    }
  }
  const std::vector<std::string_view>& keys() const { return keys_; }

 private:
  static constexpr std::size_t kInline = 16;
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t len = 0;
    std::int32_t code = -1;
    char head[kInline] = {};
  };
  void grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    const std::size_t mask = bigger.size() - 1;
    for (const Slot& old : slots_) {
      if (old.code < 0) continue;
      std::size_t i = old.hash & mask;
      while (bigger[i].code >= 0) i = (i + 1) & mask;
      bigger[i] = old;
    }
    slots_ = std::move(bigger);
    mask_ = mask;
  }
  std::vector<Slot> slots_;
  std::vector<std::string_view> keys_;
  std::size_t mask_;
};

/// Text as a string column, or (`as_category`) dictionary-encoded in one hash pass, categories
/// in order of first appearance.
Column text_column(const std::string& name, const std::string& fmt,
                   const std::vector<Chunk>& chunks, bool as_category) {
  const auto n = static_cast<std::size_t>(total_rows(chunks));
  if (!as_category) {
    std::vector<std::string> out(n);
    std::vector<std::uint8_t> valid(n, 1);
    bool any_null = false;
    std::size_t k = 0;
    for (const auto& c : chunks) {
      StringReader r(name, fmt.c_str(), c.arr, c.first, c.length);
      const std::uint8_t* bits = validity(c.arr);
      for (std::int64_t i = c.first; i < c.first + c.length; ++i, ++k) {
        if (is_valid(bits, i)) {
          out[k] = r.at(i);
        } else {
          valid[k] = 0;
          any_null = true;
        }
      }
    }
    if (!any_null) valid.clear();
    return Column::from_strings(name, std::move(out), std::move(valid));
  }
  TextEncoder enc;
  std::vector<std::int32_t> codes(n, -1);
  std::size_t k = 0;
  // In groups: hash the group's keys and prefetch their slots first, so the cache misses of
  // a group overlap instead of coming one after the other (the table outgrows the caches).
  constexpr std::int64_t kGroup = 16;
  std::string_view keys[kGroup];
  std::uint64_t hashes[kGroup];
  for (const auto& c : chunks) {
    StringReader r(name, fmt.c_str(), c.arr, c.first, c.length);
    const std::uint8_t* bits = validity(c.arr);
    for (std::int64_t g = c.first; g < c.first + c.length; g += kGroup) {
      const std::int64_t m = std::min(kGroup, c.first + c.length - g);
      for (std::int64_t j = 0; j < m; ++j) {
        if (!is_valid(bits, g + j)) continue;
        keys[j] = r.at(g + j);
        hashes[j] = common::hash_bytes(keys[j]);
        enc.prefetch(hashes[j]);
      }
      for (std::int64_t j = 0; j < m; ++j, ++k)
        if (is_valid(bits, g + j)) codes[k] = enc.code(keys[j], hashes[j]);
    }
  }
  std::vector<std::string> cats(enc.keys().begin(), enc.keys().end());
  return Column::from_codes(name, std::move(codes), std::move(cats));
}

/// dictionary<int index, utf8 | large_utf8 | string_view> as a categorical column. One chunk
/// of signed 8/16/32-bit indices without nulls whose dictionary holds distinct, present values
/// is borrowed; anything else is re-coded into int32 with the dictionaries merged in order of
/// first appearance.
Column dictionary_column(const std::string& name, const ArrowSchema* schema,
                         const std::vector<Chunk>& chunks) {
  const std::string index_fmt = schema->format;
  const char* value_fmt = schema->dictionary->format;
  CHURN_CHECK(value_fmt != nullptr && is_string_format(value_fmt), TypeMismatch,
              "column '" << name << "': dictionary of Arrow format " << quote_format(value_fmt)
                         << " is not supported (only utf8, large_utf8 and string_view values)");
  CHURN_CHECK(
      index_fmt.size() == 1 && std::string("cCsSiIlL").find(index_fmt[0]) != std::string::npos,
      TypeMismatch,
      "column '" << name << "': dictionary index format " << quote_format(index_fmt.c_str())
                 << " is not an integer type");
  std::unordered_map<std::string, std::int32_t> code_of;
  std::vector<std::string> cats;
  std::vector<std::vector<std::int32_t>> remap(chunks.size());
  bool identity = true;  // every chunk's dictionary maps to 0..k-1 in order
  for (std::size_t ci = 0; ci < chunks.size(); ++ci) {
    const Chunk& c = chunks[ci];
    check_array(name, c.arr, c, 2, 2);
    const ArrowArray* d = c.arr->dictionary;
    CHURN_CHECK(d != nullptr, InvalidArgument,
                "column '" << name << "': malformed dictionary array: no dictionary");
    StringReader r(name, value_fmt, d, d->offset, d->length);
    const std::uint8_t* bits = validity(d);
    auto& m = remap[ci];
    m.resize(static_cast<std::size_t>(d->length));
    for (std::int64_t j = 0; j < d->length; ++j) {
      const std::int64_t i = d->offset + j;
      if (!is_valid(bits, i)) {
        m[sz(j)] = -1;
        identity = false;
        continue;
      }
      auto [it, fresh] =
          code_of.try_emplace(std::string(r.at(i)), static_cast<std::int32_t>(cats.size()));
      if (fresh) cats.push_back(it->first);
      m[sz(j)] = it->second;
      identity = identity && it->second == static_cast<std::int32_t>(j);
    }
  }
  if (chunks.size() == 1 && identity && chunks[0].length > 0 &&
      validity(chunks[0].arr) == nullptr &&
      (index_fmt == "c" || index_fmt == "s" || index_fmt == "i")) {
    const Chunk& c = chunks[0];
    const int w = index_fmt == "c" ? 1 : index_fmt == "s" ? 2 : 4;
    const char* p = static_cast<const char*>(c.arr->buffers[1]) + w * c.first;
    if (reinterpret_cast<std::uintptr_t>(p) % static_cast<std::uintptr_t>(w) == 0)
      return Column::from_codes_view(name, p, w, c.length, std::move(cats), c.owner);  // zero-copy
  }
  std::vector<std::int32_t> codes(static_cast<std::size_t>(total_rows(chunks)), -1);
  std::size_t k = 0;
  for (std::size_t ci = 0; ci < chunks.size(); ++ci) {
    const Chunk& c = chunks[ci];
    if (c.length == 0) continue;
    const std::uint8_t* bits = validity(c.arr);
    const auto& m = remap[ci];
    visit_int_format(index_fmt[0], [&](auto zero) {
      using T = decltype(zero);
      const auto* p = static_cast<const char*>(c.arr->buffers[1]);
      for (std::int64_t i = c.first; i < c.first + c.length; ++i, ++k) {
        if (!is_valid(bits, i)) continue;
        T v;
        std::memcpy(&v, p + sizeof(T) * static_cast<std::size_t>(i), sizeof(T));
        CHURN_CHECK(v >= 0 && static_cast<std::uint64_t>(v) < m.size(), InvalidArgument,
                    "column '" << name << "': dictionary index " << static_cast<std::int64_t>(v)
                               << " at row " << k << " is out of range for a dictionary of "
                               << m.size() << " values");
        codes[k] = m[static_cast<std::size_t>(v)];
      }
    });
  }
  return Column::from_codes(name, std::move(codes), std::move(cats));
}

Column column_from_chunks(const std::string& name, const ArrowSchema* schema,
                          const std::vector<Chunk>& chunks, bool strings_as_category) {
  CHURN_CHECK(schema != nullptr && schema->format != nullptr, InvalidArgument,
              "column '" << name << "': malformed ArrowSchema (no format)");
  const std::string fmt = schema->format;
  if (schema->dictionary != nullptr) return dictionary_column(name, schema, chunks);
  if (fmt == "g" || fmt == "f") return float_column(name, fmt, chunks);
  if (fmt == "b") return bool_column(name, chunks);
  if (fmt.size() == 1 && visit_int_format(fmt[0], [](auto) {})) {
    return int_column(name, fmt[0], chunks);
  }
  if (fmt == "tdD" || fmt == "tdm" ||
      (fmt.size() >= 4 && fmt.rfind("ts", 0) == 0 &&
       std::string("smun").find(fmt[2]) != std::string::npos && fmt[3] == ':')) {
    return time_column(name, fmt, chunks);
  }
  if (is_string_format(fmt)) return text_column(name, fmt, chunks, strings_as_category);
  CHURN_THROW(TypeMismatch,
              "column '" << name << "': unsupported Arrow type (format "
                         << quote_format(fmt.c_str())
                         << "; supported: float64/32, int8..64, uint8..64, bool, utf8, large_utf8, "
                            "string_view, dictionary of strings, timestamp, date32/64)");
}

// ---- batches and streams ----------------------------------------------------------------------

/// The batches of an Arrow object with their schema, each batch owned.
struct Batches {
  std::shared_ptr<OwnedSchema> schema;
  std::vector<std::shared_ptr<OwnedArray>> arrays;
};

Batches read_batches(const py::handle& obj, const char* caller) {
  Batches out;
  if (py::hasattr(obj, "__arrow_c_stream__")) {
    py::object cap = obj.attr("__arrow_c_stream__")();
    auto stream = take(capsule_pointer<ArrowArrayStream>(cap, "arrow_array_stream", caller));
    ArrowArrayStream* s = &stream->c;
    auto fail = [&](int rc, const char* what) {
      const char* msg = s->get_last_error != nullptr ? s->get_last_error(s) : nullptr;
      CHURN_THROW(InvalidArgument, caller << ": the Arrow stream failed in " << what << " (error "
                                          << rc << (msg != nullptr ? ": " : "")
                                          << (msg != nullptr ? msg : "") << ")");
    };
    out.schema = std::make_shared<OwnedSchema>();
    if (const int rc = s->get_schema(s, &out.schema->c); rc != 0) fail(rc, "get_schema");
    for (;;) {
      auto batch = std::make_shared<OwnedArray>();
      if (const int rc = s->get_next(s, &batch->c); rc != 0) fail(rc, "get_next");
      if (batch->c.release == nullptr) break;  // end of stream
      out.arrays.push_back(std::move(batch));
    }
    return out;
  }
  if (py::hasattr(obj, "__arrow_c_array__")) {
    py::object pair = obj.attr("__arrow_c_array__")();
    CHURN_CHECK(py::isinstance<py::tuple>(pair) && py::len(pair) == 2, InvalidArgument,
                caller << ": __arrow_c_array__ must return (schema capsule, array capsule)");
    auto t = py::reinterpret_borrow<py::tuple>(pair);
    out.schema = take(capsule_pointer<ArrowSchema>(t[0], "arrow_schema", caller));
    out.arrays.push_back(take(capsule_pointer<ArrowArray>(t[1], "arrow_array", caller)));
    return out;
  }
  CHURN_THROW(TypeMismatch,
              caller << ": expected an object with the Arrow PyCapsule interface "
                        "(__arrow_c_stream__ or __arrow_c_array__: a pyarrow Table or RecordBatch, "
                        "a polars or pandas DataFrame), got "
                     << Py_TYPE(obj.ptr())->tp_name);
}

const char* schema_name(const ArrowSchema* s) {
  return s->name != nullptr ? s->name : "";
}

}  // namespace

Table table_from_arrow(const py::handle& obj, bool strings_as_category) {
  const char* caller = "Table.from_arrow()";
  Batches b = read_batches(obj, caller);
  const ArrowSchema* s = &b.schema->c;
  CHURN_CHECK(s->format != nullptr && std::strcmp(s->format, "+s") == 0, TypeMismatch,
              caller << ": expected a table (an Arrow struct, format '+s'), got Arrow format "
                     << quote_format(s->format));
  CHURN_CHECK(s->n_children >= 0 && (s->n_children == 0 || s->children != nullptr), InvalidArgument,
              caller << ": malformed ArrowSchema (children)");
  const auto p = static_cast<std::size_t>(s->n_children);
  std::vector<std::vector<Chunk>> chunks(p);
  for (const auto& batch : b.arrays) {
    const ArrowArray& a = batch->c;
    CHURN_CHECK(a.n_children == s->n_children && (p == 0 || a.children != nullptr) &&
                    a.length >= 0 && a.offset >= 0 && !add_overflows(a.offset, a.length),
                InvalidArgument,
                caller << ": malformed record batch (" << a.n_children
                       << " columns for a schema of " << s->n_children << ", length " << a.length
                       << ", offset " << a.offset << ")");
    CHURN_CHECK(
        a.null_count <= 0 || a.n_buffers < 1 || a.buffers == nullptr || a.buffers[0] == nullptr,
        InvalidArgument, caller << ": a record batch with null rows is not supported");
    for (std::size_t j = 0; j < p; ++j) {
      const ArrowArray* child = a.children[j];
      CHURN_CHECK(child != nullptr, InvalidArgument,
                  caller << ": malformed record batch (null column " << j << ")");
      CHURN_CHECK(!add_overflows(child->offset, a.offset) && child->offset >= 0, InvalidArgument,
                  caller << ": malformed record batch (column " << j << " offset)");
      // A struct's offset applies to its children as well.
      chunks[j].push_back(Chunk{child, child->offset + a.offset, a.length, batch});
    }
  }
  std::vector<Column> columns;
  columns.reserve(p);
  for (std::size_t j = 0; j < p; ++j) {
    const ArrowSchema* cs = s->children[j];
    CHURN_CHECK(cs != nullptr, InvalidArgument, caller << ": malformed ArrowSchema (null child)");
    columns.push_back(column_from_chunks(schema_name(cs), cs, chunks[j], strings_as_category));
  }
  return Table(std::move(columns));
}

Column column_from_arrow(const std::string& name, const py::handle& obj, bool strings_as_category) {
  const char* caller = "column_from_arrow()";
  Batches b = read_batches(obj, caller);
  std::vector<Chunk> chunks;
  for (const auto& batch : b.arrays) {
    const ArrowArray& a = batch->c;
    CHURN_CHECK(a.length >= 0 && a.offset >= 0 && !add_overflows(a.offset, a.length),
                InvalidArgument, "column '" << name << "': malformed ArrowArray");
    chunks.push_back(Chunk{&a, a.offset, a.length, batch});
  }
  return column_from_chunks(name, &b.schema->c, chunks, strings_as_category);
}

void bind_arrow(py::module_& m) {
  auto table = py::reinterpret_borrow<py::object>(m.attr("Table"));
  py::cpp_function from_arrow(
      [](const py::object& obj, const std::string& strings) {
        CHURN_CHECK(
            strings == "string" || strings == "category", InvalidArgument,
            "Table.from_arrow(): strings must be 'string' or 'category', got '" << strings << "'");
        return table_from_arrow(obj, strings == "category");
      },
      py::name("from_arrow"), py::arg("obj"), py::kw_only(), py::arg("strings") = "string",
      R"doc(
A Table from any object with the Arrow PyCapsule interface: a pyarrow Table, RecordBatch or
RecordBatchReader, a polars DataFrame, a pandas DataFrame (``__arrow_c_stream__`` or
``__arrow_c_array__``), read from the Arrow buffers (no Python object per value).

Types: float64 (borrowed without a copy when it has no nulls and one chunk) and float32 ->
float64 (nulls -> NaN); int8..int64, uint8..uint64 and bool -> int64 (nulls kept as missing);
dictionary<int, utf8 | large_utf8 | string_view> -> category (int8/16/32 codes borrowed without
a copy when one chunk has no nulls); utf8, large_utf8, string_view -> string (as
``Table.from_pandas`` makes of text), or with ``strings="category"`` -> category, encoded in one
hash pass (categories in order of first appearance); timestamp[s/ms/us/ns]
(any time zone; Arrow stores UTC) and date32/date64 -> timestamp. Columns of several chunks
are concatenated (copied).

Parameters
----------
obj : object with ``__arrow_c_stream__`` or ``__arrow_c_array__``
strings : {"string", "category"}, default "string"

Returns
-------
Table

Raises
------
TypeMismatch
    If ``obj`` has no Arrow interface, is not a table, or a column has an unsupported type (the
    message names the column and its Arrow format string).
InvalidArgument
    For a malformed Arrow array (offsets, lengths, buffers, dictionary indices out of range).

Examples
--------
>>> import pyarrow as pa, churnlib as cl
>>> t = cl.Table.from_arrow(pa.table({"x": [1.5, None], "s": ["a", "b"]}))
>>> t.dtypes
{'x': 'float64', 's': 'string'}
)doc");
  table.attr("from_arrow") = py::staticmethod(from_arrow);
  table.attr("to_arrow") = py::cpp_function(
      [](const py::object& self) {
        return py::module_::import("churnlib._frames").attr("table_to_arrow")(self);
      },
      py::name("to_arrow"), py::is_method(table), R"doc(
The table as a pyarrow.Table (pyarrow is imported here; a clear error names it when missing).

float64 -> float64 with NaN as null, int64 -> int64 (missing -> null), category ->
dictionary<int8/16/32, string>, timestamp -> timestamp[ns] (UTC, no time zone), string ->
large_string.

Raises
------
ImportError
    If pyarrow is not installed.
)doc");
}

}  // namespace churn::python

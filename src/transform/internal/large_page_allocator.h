// LargePageAllocator: a std::allocator for big tables that are read at random (the
// dimension index). Blocks of 2 MiB or more are 2 MiB-aligned and advised for transparent
// huge pages (madvise MADV_HUGEPAGE, which works where THP is "madvise" or "always"), so
// that a random lookup does not also miss the TLB: 1M customers' attributes span thousands
// of 4 KiB pages but a few dozen huge ones, and on a virtual machine each TLB miss is a
// two-level page walk. Smaller blocks come from operator new. Where the kernel gives no huge
// pages, the memory is ordinary; only speed differs. Stateless and thread-safe.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

namespace ecompipe::transform::internal {

template <typename T>
class LargePageAllocator {
 public:
  using value_type = T;
  static constexpr size_t kLargePage = size_t{2} << 20;

  LargePageAllocator() = default;
  template <typename U>
  LargePageAllocator(const LargePageAllocator<U>&) {}  // NOLINT: allocators convert implicitly

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kLargePage) return static_cast<T*>(::operator new(bytes));
    const size_t rounded = (bytes + kLargePage - 1) / kLargePage * kLargePage;
    void* p = std::aligned_alloc(kLargePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
    ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure leaves ordinary pages
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kLargePage) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }
  // resize() without a value leaves trivial elements (bytes, plain structs) uninitialized,
  // as make_unique_for_overwrite does, so that a table grown and then written is one pass
  // over its memory, not two. (std::allocator's vector copies bytes with memmove; with any
  // other allocator it goes through construct() byte by byte.)
  template <typename U>
  void construct(U* p) noexcept(noexcept(U())) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const LargePageAllocator<U>&) const {
    return true;
  }
};

}  // namespace ecompipe::transform::internal

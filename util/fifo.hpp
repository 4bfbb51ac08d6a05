#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace switchboard::util {

/// A first-in first-out queue on one vector: it allocates nothing while
/// empty (std::deque allocates about 600 bytes at construction, which
/// idle connections and waiting tasks pay for each of their queues) and
/// gives its memory back when it drains.
template<class T>
class fifo {
 public:
  /// Iterator over the queued elements, front to back.
  using iterator = typename std::vector<T>::iterator;

  /// Iterator over the queued elements, front to back.
  using const_iterator = typename std::vector<T>::const_iterator;

  /// True when nothing is queued.
  bool empty() const noexcept {
    return head_ == items_.size();
  }

  /// Number of queued elements.
  size_t size() const noexcept {
    return items_.size() - head_;
  }

  /// The oldest element.
  T& front() {
    return items_[head_];
  }

  /// The oldest element.
  const T& front() const {
    return items_[head_];
  }

  /// The newest element.
  T& back() {
    return items_.back();
  }

  /// The newest element.
  const T& back() const {
    return items_.back();
  }

  /// The `i`-th element from the front.
  T& operator[](size_t i) {
    return items_[head_ + i];
  }

  /// The `i`-th element from the front.
  const T& operator[](size_t i) const {
    return items_[head_ + i];
  }

  /// First element.
  iterator begin() noexcept {
    return items_.begin() + static_cast<std::ptrdiff_t>(head_);
  }

  /// Past the last element.
  iterator end() noexcept {
    return items_.end();
  }

  /// First element.
  const_iterator begin() const noexcept {
    return items_.begin() + static_cast<std::ptrdiff_t>(head_);
  }

  /// Past the last element.
  const_iterator end() const noexcept {
    return items_.end();
  }

  /// Appends `x`.
  void push_back(T x) {
    items_.push_back(std::move(x));
  }

  /// Constructs an element at the back.
  template<class... Ts>
  T& emplace_back(Ts&&... xs) {
    return items_.emplace_back(std::forward<Ts>(xs)...);
  }

  /// Removes the oldest element.
  void pop_front() {
    items_[head_++] = T{};
    if (head_ == items_.size())
      clear();
    else if (head_ >= 32 && 2 * head_ >= items_.size())
      compact();
  }

  /// Removes the newest element.
  void pop_back() {
    items_.pop_back();
    if (empty())
      clear();
  }

  /// Removes everything and frees the memory.
  void clear() noexcept {
    std::vector<T>{}.swap(items_);
    head_ = 0;
  }

 private:
  // Moves the live elements to the front: amortized O(1) per pop, since it
  // runs only once half the vector is dead.
  void compact() {
    items_.erase(items_.begin(),
                 items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  std::vector<T> items_;
  size_t head_ = 0;
};

} // namespace switchboard::util

#include "core/fifo.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace barrel_p2p::core {
namespace {

TEST(Fifo, TakesElementsInTheOrderTheyCameAcrossTheRingsWrap) {
  Fifo<int> fifo;
  int next_in = 0;
  int next_out = 0;
  // Interleave pushes and takes so the head walks around the ring many times while it grows.
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < round % 7 + 1; ++i) fifo.push_back(next_in++);
    for (int i = 0; i < round % 5 + 1 && !fifo.empty(); ++i)
      EXPECT_EQ(fifo.take_front(), next_out++);
  }
  while (!fifo.empty()) EXPECT_EQ(fifo.take_front(), next_out++);
  EXPECT_EQ(next_out, next_in);
}

TEST(Fifo, IndexesFromTheFrontAfterTheHeadMoved) {
  Fifo<std::string> fifo;
  for (const char* s : {"a", "b", "c", "d", "e", "f", "g", "h"}) fifo.emplace_back(s);
  (void)fifo.take_front();
  (void)fifo.take_front();
  fifo.emplace_back("i");  // wraps into the slot "a" left
  ASSERT_EQ(fifo.size(), 7U);
  EXPECT_EQ(fifo.capacity(), 8U);
  EXPECT_EQ(fifo.front(), "c");
  EXPECT_EQ(fifo[5], "h");
  EXPECT_EQ(fifo.back(), "i");
  fifo.emplace_back("j");
  fifo.emplace_back("k");  // full: grows, keeping the order
  EXPECT_EQ(fifo.capacity(), 16U);
  for (const char* s : {"c", "d", "e", "f", "g", "h", "i", "j", "k"}) {
    EXPECT_EQ(fifo.take_front(), s);
  }
  EXPECT_TRUE(fifo.empty());
}

TEST(Fifo, ATakenElementLeavesNothingBehindInItsSlot) {
  Fifo<std::shared_ptr<int>> fifo;
  auto value = std::make_shared<int>(1);
  fifo.push_back(std::shared_ptr<int>(value));
  fifo.push_back(std::shared_ptr<int>(value));
  fifo.push_back(std::shared_ptr<int>(value));
  EXPECT_EQ(value.use_count(), 4);
  (void)fifo.take_front();
  EXPECT_EQ(value.use_count(), 3);
  (void)fifo.take_front();
  (void)fifo.take_front();
  EXPECT_EQ(value.use_count(), 1);
}

TEST(Fifo, GivesBackABurstsSlotsOnceTheQueueRunsSmallAgain) {
  Fifo<int> fifo(/*keep=*/16);
  for (int i = 0; i < 1000; ++i) fifo.push_back(int{i});
  EXPECT_EQ(fifo.capacity(), 1024U);
  while (!fifo.empty()) (void)fifo.take_front();
  EXPECT_EQ(fifo.capacity(), 1024U) << "emptied after using every slot: keeps them";
  for (int cycle = 0; cycle < 3; ++cycle) {
    for (int i = 0; i < 900; ++i) fifo.push_back(int{i});
    while (!fifo.empty()) (void)fifo.take_front();
    EXPECT_EQ(fifo.capacity(), 1024U) << "a steady large cycle keeps its slots";
  }
  auto small_cycle = [&] {
    fifo.push_back(1);
    (void)fifo.take_front();
  };
  for (std::size_t i = 1; i < Fifo<int>::kSmallCyclesBeforeRelease; ++i) small_cycle();
  EXPECT_EQ(fifo.capacity(), 1024U) << "small cycles between bursts keep the slots";
  for (int i = 0; i < 900; ++i) fifo.push_back(int{i});
  while (!fifo.empty()) (void)fifo.take_front();
  EXPECT_EQ(fifo.capacity(), 1024U) << "a burst starts the count of small cycles again";
  for (std::size_t i = 1; i < Fifo<int>::kSmallCyclesBeforeRelease; ++i) small_cycle();
  EXPECT_EQ(fifo.capacity(), 1024U);
  small_cycle();
  EXPECT_EQ(fifo.capacity(), 0U) << "enough small cycles in a row give the slots back";
  for (int i = 0; i < 10; ++i) fifo.push_back(int{i});
  while (!fifo.empty()) (void)fifo.take_front();
  EXPECT_EQ(fifo.capacity(), 16U) << "within `keep`: kept";
}

}  // namespace
}  // namespace barrel_p2p::core

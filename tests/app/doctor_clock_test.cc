// latchkeyd doctor's clock comparison with PostgreSQL (JudgeClockSkew): the database's reading
// is compared with the midpoint of the local readings around the query, and only the part of the
// difference the round trip cannot explain counts against the clocks.
#include <gtest/gtest.h>

#include <chrono>

#include "app/doctor.h"

namespace latchkey::app {
namespace {

using std::chrono::milliseconds;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));

TEST(DoctorClockTest, SameClockIsOk) {
  ClockSkew s = JudgeClockSkew(kT0, kT0 + milliseconds(5), kT0 + milliseconds(10));
  EXPECT_EQ(s.skew, milliseconds(0));
  EXPECT_EQ(s.round_trip, milliseconds(10));
  EXPECT_EQ(s.verdict, ClockSkew::Verdict::kOk);
}

TEST(DoctorClockTest, SignSaysWhichClockIsAhead) {
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 + milliseconds(1500), kT0).skew, milliseconds(1500));
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 - milliseconds(1500), kT0).skew, milliseconds(-1500));
}

TEST(DoctorClockTest, WarnPastTwoSecondsFailPastAMinuteEitherWay) {
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 + milliseconds(2001), kT0).verdict, ClockSkew::Verdict::kWarn);
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 - milliseconds(2001), kT0).verdict, ClockSkew::Verdict::kWarn);
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 + milliseconds(2000), kT0).verdict, ClockSkew::Verdict::kOk);
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 + std::chrono::minutes(5), kT0).verdict,
            ClockSkew::Verdict::kFail);
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 - std::chrono::minutes(5), kT0).verdict,
            ClockSkew::Verdict::kFail);
}

TEST(DoctorClockTest, ASlowRoundTripIsNotBlamedOnTheClocks) {
  // A 6 s round trip: the database's reading could be anywhere within 3 s of the midpoint.
  TimePoint after = kT0 + std::chrono::seconds(6);
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 + std::chrono::seconds(6), after).verdict,
            ClockSkew::Verdict::kOk);
  EXPECT_EQ(JudgeClockSkew(kT0, kT0 + std::chrono::seconds(9), after).verdict,
            ClockSkew::Verdict::kWarn);
}

}  // namespace
}  // namespace latchkey::app

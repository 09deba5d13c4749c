#pragma once
// JUnit XML, the format CI servers and farm schedulers merge: one
// <testsuite> with one <testcase> per checked item.

#include <string>
#include <vector>

namespace aps::sim {

struct JUnitCase {
  std::string name;
  std::string failure;  // empty = passed
  double seconds = 0;
  std::string output;   // the case's <system-out>: its reproduce line
};

std::string junit_xml(const std::string& suite, const std::vector<JUnitCase>& cases);

}  // namespace aps::sim

// Catch2's main for the MPI tests: MPI starts before the tests and ends after them.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <segkit/distributed/communicator.hpp>

int main(int argc, char** argv) {
  const segkit::distributed::mpi_session mpi(&argc, &argv);
  const segkit::distributed::communicator comm;
  // Rank 0 reports in full; the others in one line each (failures in full).
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (comm.rank() != 0) session.configData().reporterName = "compact";
  const int failed = session.run();
  // Any rank's failure fails the run on every rank (mpirun then exits non-zero).
  return comm.any(failed != 0) ? 1 : 0;
}

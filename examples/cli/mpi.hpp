#pragma once
// The tool under mpirun: when built with MPI (SEGKIT_CLI_MPI) and started by mpirun with more than
// one rank, the distributed commands (cluster kmeans, cluster minibatch-kmeans, index build, index
// query) split their work over the ranks; rank 0 writes the outputs and prints the results.

#ifdef SEGKIT_CLI_MPI
#include <segkit/distributed/communicator.hpp>
#endif

namespace segkit::cli {

#ifdef SEGKIT_CLI_MPI
/// The world communicator when running under mpirun with more than one rank, else nullptr.
const distributed::communicator* mpi_world();
#endif

/// This process's rank (0 when not distributed): only rank 0 prints and writes outputs.
int world_rank();

}  // namespace segkit::cli

# cmake -DNM=nm -DHEADER_ONLY=a.o -DCOMPILED=b.o -P check_extern_fits.cmake: the same source
# compiled header-only must define the fits, index builds and searches it calls (weak symbols such
# as segkit::cluster::kmeans<float>::run), and compiled in compiled mode must define none of them:
# they come from segkit_compiled. Fails when a header's extern template declarations are missing.
set(fit_symbol "segkit::(cluster|reduce|index)::[a-z_]+<[^(]*>::(run|fit_view|fit_rows|transform_rows|add|save|read)\\(")
foreach(which HEADER_ONLY COMPILED)
  execute_process(COMMAND ${NM} -C --defined-only ${${which}} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${${which}}")
  endif()
  string(REGEX MATCHALL "[0-9a-f]+ [TW] ${fit_symbol}" found_${which} "${symbols}")
  list(LENGTH found_${which} count_${which})
endforeach()
if(count_HEADER_ONLY EQUAL 0)
  message(FATAL_ERROR "the header-only object defines no fit: the symbol pattern is out of date")
endif()
if(NOT count_COMPILED EQUAL 0)
  list(GET found_COMPILED 0 first)
  message(FATAL_ERROR "compiled mode still compiles ${count_COMPILED} fits in the program, e.g. '${first}'")
endif()
message(STATUS "header-only defines ${count_HEADER_ONLY} fits; compiled mode none")

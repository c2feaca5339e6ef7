# embed_files(OUT VAR BASE FILES): generates OUT, a C++ source defining
#   std::vector<dangan::EmbeddedFile> VAR()  with each file's path relative to BASE and bytes.
# The generation runs at build time, so editing an embedded file rebuilds the binary.
function(embed_files out var base files)
  set(list_file ${out}.list)
  string(REPLACE ";" "\n" lines "${files}")
  file(WRITE ${list_file}.tmp "${lines}\n")
  file(COPY_FILE ${list_file}.tmp ${list_file} ONLY_IF_DIFFERENT)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DVAR=${var} -DBASE=${base} -DLIST=${list_file}
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_gen.cmake
    DEPENDS ${files} ${list_file} ${CMAKE_SOURCE_DIR}/cmake/embed_gen.cmake
    VERBATIM)
endfunction()

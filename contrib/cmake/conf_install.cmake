# contrib/cmake/conf_install.cmake - contrib/filterd.conf as installed:
# cmake -DIN=contrib/filterd.conf -DOUT=FILE -P conf_install.cmake
#
# In the checkout the policy banks are ../policy-banks/ from the file;
# installed they are policy-banks/ beside it (SYSCONFDIR/filterd/). An
# include() left pointing outside the installed tree fails the build.
file(READ "${IN}" text)
string(REPLACE "include(\"../policy-banks/" "include(\"policy-banks/"
  text "${text}")
if(text MATCHES "\ninclude\\(\"\\.\\./")
  message(FATAL_ERROR "${IN}: an include() outside policy-banks/ is not installed")
endif()
file(WRITE "${OUT}" "${text}")

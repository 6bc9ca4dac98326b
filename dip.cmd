@echo off
rem Set up and start the project: .\dip.cmd app [streamlit options], or .\dip.cmd test [pytest options]
rem Finds a Python >= 3.11 and hands over to scripts\bootstrap.py, which does the rest.
setlocal
set "PY="
call :try py -3
if not defined PY call :try python
if not defined PY goto nopython
%PY% "%~dp0scripts\bootstrap.py" %*
exit /b %ERRORLEVEL%

rem PY=the given command when it is Python >= 3.11
:try
%* -c "import sys; sys.exit(sys.version_info < (3, 11))" >nul 2>&1
if not errorlevel 1 set "PY=%*"
exit /b 0

rem one line saying what to install (UTF-8 code page for the Chinese, then the old one back)
:nopython
for /f "tokens=2 delims=:" %%c in ('chcp') do set "OLDCP=%%c"
chcp 65001 >nul
echo 未找到 Python 3.11 或更高版本，请先安装：winget install -e --id Python.Python.3.12 · Python 3.11 or newer not found; install it: winget install -e --id Python.Python.3.12
chcp %OLDCP% >nul
exit /b 1

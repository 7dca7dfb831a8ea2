@echo off
rem Double-click to install or update Studio; runs install.ps1 beside this file.
powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1" %*
pause

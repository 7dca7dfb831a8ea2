# Install or update Studio for this user (no administrator rights needed): finds Python 3.11+
# and runs ..\install.py with the options given here (-h lists them; --uninstall removes).
$ErrorActionPreference = 'Stop'
$installer = Join-Path (Split-Path -Parent $PSScriptRoot) 'install.py'
# The py launcher first (python.org installs); then python on PATH (the Microsoft Store stub
# only opens the Store and fails the version check).
$candidates = @(@('py', '-3.12'), @('py', '-3.13'), @('py', '-3.11'), @('python'), @('python3'))
foreach ($candidate in $candidates) {
    $exe = $candidate[0]
    $pre = @($candidate | Select-Object -Skip 1)
    if (-not (Get-Command $exe -ErrorAction SilentlyContinue)) { continue }
    try {
        $python = (& $exe @pre -c "import sys; assert sys.version_info >= (3, 11); print(sys.executable)" 2>$null)
    } catch { continue }
    if ($LASTEXITCODE -ne 0 -or -not $python) { continue }
    $python = "$python".Trim()
    & $python $installer --python $python @args
    exit $LASTEXITCODE
}
Write-Host @'
Studio needs Python 3.11 or newer. Install it with
    winget install -e --id Python.Python.3.12
or from https://www.python.org/downloads/windows/ (tick 'Add python.exe to PATH'),
then run this installer again.
'@
exit 1

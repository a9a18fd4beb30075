from dtc_tui.cli import main

main()

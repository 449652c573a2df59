from bivideo.cli import main

main()

from clientvault.cli import main

main()
